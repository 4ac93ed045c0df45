package dev.mmr.search;

import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UploadedFile;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.util.BlockingArrayQueue;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of a {@link SearchService}: the JSON API under {@code /api}, {@code /health}, the eval reports'
 * files under {@code /reports/}, and the web pages from the classpath folder {@code /public} when the web module is
 * on the classpath. Every refusal is JSON {@code {status, code, message}}.
 */
public final class SearchServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SearchServer.class);
    /** Jetty's request threads; requests beyond them wait in a bounded queue. */
    private static final int HTTP_THREADS = 64;
    private static final int HTTP_QUEUE = 256;
    private static final String FIELD_PREFIX = "field.";
    private final SearchService service;
    private final Javalin app;

    private SearchServer(SearchService service, Javalin app) {
        this.service = service;
        this.app = app;
    }

    /** Starts serving on {@code host:port} (port 0 picks a free one). */
    public static SearchServer start(SearchService service, String host, int port) {
        long maxBody = service.limits().maxBodyBytes();
        Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = maxBody;
            config.jetty.multipartConfig.maxFileSize(maxBody, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, maxBody), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(maxBody + (64 << 10), SizeUnit.BYTES);
            config.jetty.threadPool = new QueuedThreadPool(HTTP_THREADS, 4, 60_000, new BlockingArrayQueue<>(HTTP_QUEUE, 0, HTTP_QUEUE));
            if (SearchServer.class.getResource("/public") != null) {
                config.staticFiles.add("/public", Location.CLASSPATH);
            }
            if (Files.isDirectory(service.reportsFolder().folder())) {
                config.staticFiles.add(files -> {
                    files.hostedPath = "/reports";
                    files.directory = service.reportsFolder().folder().toAbsolutePath().toString();
                    files.location = Location.EXTERNAL;
                });
            }
        });
        SearchServer server = new SearchServer(service, app);
        server.routes();
        app.start(host, port);
        return server;
    }

    public int port() {
        return app.port();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port() + "/");
    }

    private void routes() {
        app.post("/api/search", metered("search", this::search));
        app.get("/api/items/<id>/image", metered("item-image", this::image));
        app.get("/api/items/<id>/similar", metered("similar", this::similar));
        app.get("/api/items/<id>", metered("item", ctx -> ctx.json(service.item(ctx.pathParam("id")))));
        app.get("/api/models", metered("models", ctx -> ctx.json(Map.of("submodels", service.submodels()))));
        app.get("/api/reports", metered("reports", ctx -> ctx.json(Map.of("reports", service.reports()))));
        app.get("/api/metrics", metered("metrics", ctx -> ctx.json(service.metricsSnapshot())));
        app.get("/health", metered("health", ctx -> ctx.json(service.health())));

        app.exception(ApiException.class, (e, ctx) -> refuse(ctx, e));
        app.exception(HttpResponseException.class, (e, ctx) -> refuse(ctx, switch (e.getStatus()) {
            case 404 -> new ApiException(404, "not_found", "no such endpoint or file: " + ctx.method() + " " + ctx.path());
            case 405 -> new ApiException(405, "method_not_allowed", ctx.method() + " is not allowed on " + ctx.path());
            case 413 -> tooLarge();
            default -> new ApiException(e.getStatus(), "http_" + e.getStatus(), e.getMessage());
        }));
        app.exception(Exception.class, (e, ctx) -> {
            LOG.error("request {} {} failed", ctx.method(), ctx.path(), e);
            refuse(ctx, new ApiException(500, "internal", "internal error: " + e.getClass().getSimpleName()));
        });
    }

    private Handler metered(String route, Handler handler) {
        return ctx -> {
            service.metrics().request(route);
            handler.handle(ctx);
        };
    }

    private void refuse(Context ctx, ApiException e) {
        service.metrics().error(e.code());
        if (e.status() == 503) {
            ctx.header("Retry-After", "1");
        }
        ctx.status(e.status()).json(e.body());
    }

    private ApiException tooLarge() {
        return new ApiException(413, "body_too_large", "the request body is larger than the limit of "
                + service.limits().maxBodyBytes() + " bytes");
    }

    private void search(Context ctx) throws IOException {
        byte[] image = queryImage(ctx);
        var choice = new SearchService.SubmodelChoice(intParam(ctx, "level"), widthsParam(ctx), doubleParam(ctx, "budget_ms"));
        ctx.json(service.search(image, choice, options(ctx)));
    }

    private void similar(Context ctx) {
        ctx.json(service.similar(ctx.pathParam("id"), options(ctx)));
    }

    private void image(Context ctx) {
        StoredImages.Image image = service.image(ctx.pathParam("id"), intParam(ctx, "size"));
        ctx.header("Cache-Control", "max-age=3600").contentType(image.contentType()).result(image.bytes());
    }

    /** The query image: the {@code image} part (or the only file) of a multipart form, else the raw body. */
    private byte[] queryImage(Context ctx) throws IOException {
        long max = service.limits().maxBodyBytes();
        if (ctx.req().getContentLengthLong() > max + (isMultipart(ctx) ? 64 << 10 : 0)) {
            throw tooLarge();
        }
        byte[] bytes;
        if (isMultipart(ctx)) {
            List<UploadedFile> files;
            try {
                files = ctx.uploadedFiles();
            } catch (RuntimeException e) {
                if (e.getMessage() != null && e.getMessage().contains("exceeds")) {
                    throw tooLarge();
                }
                throw new ApiException(400, "bad_multipart", "the multipart body cannot be read: " + e.getMessage());
            }
            UploadedFile file = ctx.uploadedFile("image");
            if (file == null && files.size() == 1) {
                file = files.get(0);
            }
            if (file == null) {
                throw new ApiException(400, "missing_image", "send the query image as the multipart file 'image'");
            }
            if (file.size() > max) {
                throw tooLarge();
            }
            try (var in = file.content()) {
                bytes = in.readAllBytes();
            }
        } else {
            bytes = ctx.req().getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (bytes.length > max) {
                throw tooLarge();
            }
        }
        if (bytes.length == 0) {
            throw new ApiException(400, "missing_image", "no query image: send it as the request body or as the multipart file 'image'");
        }
        return bytes;
    }

    private static boolean isMultipart(Context ctx) {
        return ctx.isMultipartFormData();
    }

    private SearchService.SearchOptions options(Context ctx) {
        int k = intParam(ctx, "k") == null ? 10 : intParam(ctx, "k");
        List<String> labels = new ArrayList<>(ctx.queryParams("label"));
        Map<String, String> fields = new LinkedHashMap<>();
        Map<String, List<String>> params = new LinkedHashMap<>(ctx.queryParamMap());
        if (isMultipart(ctx)) {
            ctx.formParamMap().forEach(params::putIfAbsent);
            if (labels.isEmpty()) {
                labels.addAll(ctx.formParams("label"));
            }
        }
        params.forEach((name, values) -> {
            if (name.startsWith(FIELD_PREFIX) && !values.isEmpty()) {
                fields.put(name.substring(FIELD_PREFIX.length()), values.get(0));
            }
        });
        String exact = param(ctx, "exact");
        if (exact != null && !exact.equals("true") && !exact.equals("false")) {
            throw ApiException.badParameter("exact must be true or false");
        }
        return new SearchService.SearchOptions(k, intParam(ctx, "ef"), "true".equals(exact), labels, fields);
    }

    /** A parameter from the query string or, for multipart requests, from a form field. */
    private static String param(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null && isMultipart(ctx)) {
            value = ctx.formParam(name);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static Integer intParam(Context ctx, String name) {
        String value = param(ctx, name);
        try {
            return value == null ? null : Integer.valueOf(value);
        } catch (NumberFormatException e) {
            throw ApiException.badParameter(name + " must be an integer, not '" + value + "'");
        }
    }

    private static Double doubleParam(Context ctx, String name) {
        String value = param(ctx, name);
        try {
            return value == null ? null : Double.valueOf(value);
        } catch (NumberFormatException e) {
            throw ApiException.badParameter(name + " must be a number, not '" + value + "'");
        }
    }

    /** {@code widths}: per-layer widths separated by commas or dashes, e.g. {@code 128,64,32,16}. */
    private static int[] widthsParam(Context ctx) {
        String value = param(ctx, "widths");
        if (value == null) {
            return null;
        }
        try {
            String[] parts = value.split("[,\\-\\s]+");
            int[] widths = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                widths[i] = Integer.parseInt(parts[i]);
            }
            return widths;
        } catch (NumberFormatException e) {
            throw ApiException.badParameter("widths must be integers separated by commas, e.g. 128,64,32,16; not '" + value + "'");
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
