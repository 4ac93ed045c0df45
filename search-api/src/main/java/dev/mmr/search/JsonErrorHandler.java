package dev.mmr.search;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * Jetty's own refusals (an over-long URI, over-large headers, a malformed request line, a body that stalls) as the
 * same JSON {@code {status, code, message}} as every other error, instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final Map<Integer, String> CODES = Map.of(
            400, "bad_request", 408, "request_timeout", 413, "body_too_large", 414, "uri_too_long",
            431, "headers_too_large", 500, "internal", 503, "unavailable");

    static String code(int status) {
        return CODES.getOrDefault(status, "http_" + status);
    }

    static byte[] body(int status, String message) {
        String text = message == null || message.isBlank() ? "HTTP " + status : message;
        return ("{\"status\":" + status + ",\"code\":\"" + code(status) + "\",\"message\":\"" + escape(text) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Refusals Jetty makes while parsing, before any handler runs. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        return ByteBuffer.wrap(body(status, reason));
    }

    /** Errors Jetty sends after dispatch (e.g. a request that timed out while its body was being read). */
    @Override
    public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response) throws IOException {
        baseRequest.setHandled(true);
        if (response.isCommitted()) {
            return;
        }
        Object message = request.getAttribute("jakarta.servlet.error.message");
        response.setContentType("application/json");
        response.getOutputStream().write(body(response.getStatus(), message == null ? null : message.toString()));
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
