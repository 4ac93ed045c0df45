package dev.mmr.search;

import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import java.net.URI;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.server.ConnectionLimit;
import org.eclipse.jetty.util.BlockingArrayQueue;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP face of a {@link SearchService}: the JSON API under {@code /api}, {@code /health}, the eval reports'
 * files under {@code /reports/}, and the web pages from the classpath folder {@code /public} when the web module is
 * on the classpath. Every refusal is JSON {@code {status, code, message}}, Jetty's own included. Requests run on
 * virtual threads and slow bodies are cut, so slow clients cannot hold the server; the write API is answered by
 * the {@link ItemWrites} given at start.
 */
public final class SearchServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SearchServer.class);
    /** Jetty's platform threads (selectors, accepting); requests themselves run on virtual threads. */
    private static final int HTTP_THREADS = 64;
    private static final int HTTP_QUEUE = 256;
    /** Open connections at most; more wait to be accepted. Bounds the request bodies held in memory. */
    static final int MAX_CONNECTIONS = 512;
    /** A request body that pauses longer than this is cut (408). */
    static final long BODY_IDLE_TIMEOUT_MS = 5_000;
    /** A request body arriving slower than this on average is cut (408). */
    static final long MIN_BODY_BYTES_PER_SECOND = 4096;
    static final long STOP_TIMEOUT_MS = 5_000;
    static final double IMAGES_PER_SECOND = 100;
    static final double IMAGE_BURST = 200;
    private final SearchService service;
    private final ItemWrites writes;
    private final WidthComparison comparison;
    /** Images and thumbnails per client: a result grid at once, then a steady rate. */
    private final ClientPacer imageRequests = new ClientPacer(IMAGES_PER_SECOND, IMAGE_BURST);
    private final Javalin app;

    private SearchServer(SearchService service, ItemWrites writes, Javalin app) {
        this.service = service;
        this.writes = writes;
        this.comparison = new WidthComparison(service);
        this.app = app;
    }

    /** Starts serving on {@code host:port} (port 0 picks a free one), with writes refused. */
    public static SearchServer start(SearchService service, String host, int port) {
        return start(service, ItemWrites.disabled(), host, port);
    }

    /** Starts serving on {@code host:port} (port 0 picks a free one); {@code writes} answers the write API. */
    static SearchServer start(SearchService service, ItemWrites writes, String host, int port) {
        long maxBody = service.limits().maxBodyBytes();
        Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.prefer405over404 = true;
            config.jetty.modifyServer(server -> {
                server.setErrorHandler(new JsonErrorHandler());
                server.addBean(new ConnectionLimit(MAX_CONNECTIONS, server));
                // Closing lets requests in flight finish (a paced one waits up to 2 s) before the index goes away.
                server.setStopTimeout(STOP_TIMEOUT_MS);
            });
            config.http.maxRequestSize = maxBody;
            config.jetty.multipartConfig.maxFileSize(maxBody, SizeUnit.BYTES);
            config.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, maxBody), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(maxBody + (64 << 10), SizeUnit.BYTES);
            QueuedThreadPool threads = new QueuedThreadPool(HTTP_THREADS, 4, 60_000, new BlockingArrayQueue<>(HTTP_QUEUE, 0, HTTP_QUEUE));
            // A request blocked reading a slow body parks a virtual thread, not one of a few platform threads.
            threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
            config.jetty.threadPool = threads;
            config.jetty.modifyHttpConfiguration(http -> {
                http.setIdleTimeout(BODY_IDLE_TIMEOUT_MS);
                http.setMinRequestDataRate(MIN_BODY_BYTES_PER_SECOND);
            });
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
        SearchServer server = new SearchServer(service, writes, app);
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
        app.post("/api/compare", metered("compare", this::compare));
        app.get("/api/items/<id>/image", metered("item-image", this::image));
        app.get("/api/items/<id>/similar", metered("similar", this::similar));
        app.get("/api/items/<id>", metered("item", ctx -> ctx.json(service.item(ctx.pathParam("id")))));
        app.post("/api/items", metered("item-add", this::addItem));
        app.delete("/api/items/<id>", metered("item-delete", this::deleteItem));
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
        app.exception(BadMessageException.class, (e, ctx) -> refuse(ctx,
                new ApiException(e.getCode(), JsonErrorHandler.code(e.getCode()), e.getReason())));
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
        return RequestParams.tooLarge(service.limits().maxBodyBytes());
    }

    private void search(Context ctx) {
        byte[] image = RequestParams.image(ctx, service.limits().maxBodyBytes());
        ctx.json(service.search(image, ctx.req().getRemoteAddr(), RequestParams.submodel(ctx), RequestParams.options(ctx)));
    }

    /** {@code POST /api/items}: multipart with the file {@code image} and the form fields {@code id}, {@code label}, {@code field.NAME}. */
    private void addItem(Context ctx) {
        writes.authorize(ctx.header("Authorization"));
        if (!ctx.isMultipartFormData()) {
            throw ApiException.badParameter("send a multipart form: the file 'image' and the fields 'id', 'label', 'field.NAME'");
        }
        byte[] image = RequestParams.image(ctx, service.limits().maxBodyBytes());
        String id = RequestParams.param(ctx, "id");
        if (id == null) {
            throw ApiException.badParameter("the form field 'id' is missing");
        }
        writes.add(id, image, RequestParams.param(ctx, "label"), RequestParams.formFields(ctx));
        ctx.status(201).json(service.item(id));
    }

    private void deleteItem(Context ctx) {
        writes.authorize(ctx.header("Authorization"));
        String id = ctx.pathParam("id");
        writes.delete(id);
        ctx.json(Map.of("deleted", id));
    }

    /** {@code POST /api/compare}: the query image encoded by every trained level, each level's hits beside the full width's. */
    private void compare(Context ctx) {
        byte[] image = RequestParams.image(ctx, service.limits().maxBodyBytes());
        ctx.json(comparison.compare(image, ctx.req().getRemoteAddr(), RequestParams.options(ctx)));
    }

    private void similar(Context ctx) {
        ctx.json(service.similar(ctx.pathParam("id"), RequestParams.options(ctx)));
    }

    private void image(Context ctx) {
        imageRequests.pace(ctx.req().getRemoteAddr());
        StoredImages.Image image = service.image(ctx.pathParam("id"), RequestParams.intParam(ctx, "size"));
        ctx.header("Cache-Control", "max-age=3600").contentType(image.contentType()).result(image.bytes());
    }

    @Override
    public void close() {
        app.stop();
    }
}
