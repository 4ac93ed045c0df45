package dev.mmr.search;

import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.BadMessageException;

/**
 * Reads a request's parameters (query string, or form fields of a multipart body) and its uploaded image, refusing
 * malformed ones with a 4xx {@link ApiException} before anything runs.
 */
final class RequestParams {
    private static final String FIELD_PREFIX = "field.";
    /** Multipart framing allowed on top of the largest image. */
    static final long MULTIPART_OVERHEAD = 64 << 10;
    private static final Pattern COMMA_WIDTHS = Pattern.compile("\\d+(,\\d+)*");
    private static final Pattern DASH_WIDTHS = Pattern.compile("\\d+(-\\d+)*");

    private RequestParams() {
    }

    static ApiException tooLarge(long maxBodyBytes) {
        return new ApiException(413, "body_too_large", "the request body is larger than the limit of " + maxBodyBytes + " bytes");
    }

    /** The image of an upload: the multipart file {@code image} (or the only file), else the raw body. */
    static byte[] image(Context ctx, long max) {
        if (ctx.req().getContentLengthLong() > max + (ctx.isMultipartFormData() ? MULTIPART_OVERHEAD : 0)) {
            throw tooLarge(max);
        }
        byte[] bytes = ctx.isMultipartFormData() ? multipartImage(ctx, max) : rawBody(ctx, max);
        if (bytes.length == 0) {
            throw new ApiException(400, "missing_image", "no query image: send it as the request body or as the multipart file 'image'");
        }
        return bytes;
    }

    private static byte[] rawBody(Context ctx, long max) {
        try (InputStream in = ctx.req().getInputStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (bytes.length > max) {
                throw tooLarge(max);
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            throw unreadable(e, "bad_body", "the request body cannot be read: ");
        }
    }

    private static byte[] multipartImage(Context ctx, long max) {
        try {
            List<UploadedFile> files = ctx.uploadedFiles();
            UploadedFile file = ctx.uploadedFile("image");
            if (file == null && files.size() == 1) {
                file = files.get(0);
            }
            if (file == null) {
                throw new ApiException(400, "missing_image", "send the query image as the multipart file 'image'");
            }
            if (file.size() > max) {
                throw tooLarge(max);
            }
            try (InputStream in = file.content()) {
                return in.readAllBytes();
            }
        } catch (Exception e) {
            // Jetty's multipart parser throws IOException (a checked exception Kotlin lets through undeclared) or
            // IllegalStateException for a cut or malformed body, and mentions "exceeds" for an over-large part.
            if (e.getMessage() != null && e.getMessage().contains("exceeds")) {
                throw tooLarge(max);
            }
            throw unreadable(e, "bad_multipart", "the multipart body cannot be read: ");
        }
    }

    private static ApiException unreadable(Exception e, String code, String prefix) {
        if (e instanceof ApiException api) {
            return api;
        }
        if (e instanceof BadMessageException bad) {
            return new ApiException(bad.getCode(), JsonErrorHandler.code(bad.getCode()), bad.getReason());
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof TimeoutException) {
                return new ApiException(408, "request_timeout", "the request body stopped arriving: " + cause.getMessage());
            }
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new ApiException(400, code, prefix + reason);
    }

    /** k, ef, exact, labels (OR-ed) and {@code field.NAME} filters (AND-ed). */
    static SearchService.SearchOptions options(Context ctx) {
        Integer k = intParam(ctx, "k");
        List<String> labels = new ArrayList<>(ctx.queryParams("label"));
        Map<String, List<String>> params = new LinkedHashMap<>(ctx.queryParamMap());
        if (ctx.isMultipartFormData()) {
            formParamMap(ctx).forEach(params::putIfAbsent);
            if (labels.isEmpty()) {
                labels.addAll(formParamMap(ctx).getOrDefault("label", List.of()));
            }
        }
        Map<String, String> fields = new LinkedHashMap<>();
        params.forEach((name, values) -> {
            if (name.startsWith(FIELD_PREFIX) && !values.isEmpty()) {
                fields.put(name.substring(FIELD_PREFIX.length()), values.get(0));
            }
        });
        String exact = param(ctx, "exact");
        if (exact != null && !exact.equals("true") && !exact.equals("false")) {
            throw ApiException.badParameter("exact must be true or false");
        }
        return new SearchService.SearchOptions(k == null ? 10 : k, intParam(ctx, "ef"), "true".equals(exact), labels, fields);
    }

    /** The {@code field.NAME} form fields of a multipart body, name to (first) value. */
    static Map<String, String> formFields(Context ctx) {
        Map<String, String> fields = new LinkedHashMap<>();
        formParamMap(ctx).forEach((name, values) -> {
            if (name.startsWith(FIELD_PREFIX) && !values.isEmpty()) {
                fields.put(name.substring(FIELD_PREFIX.length()), values.get(0));
            }
        });
        return fields;
    }

    /** The submodel asked for: {@code level}, {@code widths} or {@code budget_ms}. */
    static SearchService.SubmodelChoice submodel(Context ctx) {
        return new SearchService.SubmodelChoice(intParam(ctx, "level"), widths(ctx), doubleParam(ctx, "budget_ms"));
    }

    private static Map<String, List<String>> formParamMap(Context ctx) {
        try {
            return ctx.formParamMap();
        } catch (Exception e) {
            throw unreadable(e, "bad_multipart", "the multipart body cannot be read: ");
        }
    }

    /** A parameter from the query string or, for multipart requests, from a form field. */
    static String param(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value == null && ctx.isMultipartFormData()) {
            List<String> values = formParamMap(ctx).get(name);
            value = values == null || values.isEmpty() ? null : values.get(0);
        }
        return value == null || value.isBlank() ? null : value.trim();
    }

    static Integer intParam(Context ctx, String name) {
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

    /** {@code widths}: positive per-layer widths separated by commas ({@code 128,64,32,16}) or dashes ({@code 128-64-32-16}). */
    private static int[] widths(Context ctx) {
        String value = param(ctx, "widths");
        if (value == null) {
            return null;
        }
        String compact = value.replace(" ", "");
        String separator = COMMA_WIDTHS.matcher(compact).matches() ? "," : DASH_WIDTHS.matcher(compact).matches() ? "-" : null;
        if (separator == null) {
            throw ApiException.badParameter("widths must be positive integers separated by commas, e.g. 128,64,32,16; not '" + value + "'");
        }
        String[] parts = compact.split(separator);
        int[] widths = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                widths[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                widths[i] = -1;
            }
            if (widths[i] < 1) {
                throw ApiException.badParameter("widths must be positive integers, not '" + parts[i] + "' in '" + value + "'");
            }
        }
        return widths;
    }
}
