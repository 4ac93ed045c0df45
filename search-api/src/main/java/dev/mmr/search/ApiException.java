package dev.mmr.search;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the service refuses, with the HTTP status, a stable machine-readable code and a message for people.
 * Thrown before anything is changed; {@link SearchServer} turns it into the JSON body {@code {status, code, message}}.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;

    public ApiException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public static ApiException badParameter(String message) {
        return new ApiException(400, "bad_parameter", message);
    }

    public static ApiException unknownItem(String id) {
        return new ApiException(404, "unknown_item", "no item with id '" + id + "' in the index");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** The JSON error body. */
    public Map<String, Object> body() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("code", code);
        body.put("message", getMessage());
        return body;
    }
}
