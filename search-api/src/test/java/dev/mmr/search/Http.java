package dev.mmr.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A small loopback HTTP client for the tests: raw and multipart posts, JSON answers. */
public final class Http {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BOUNDARY = "----mmr-test-boundary";
    public static final String MULTIPART_TYPE = "multipart/form-data; boundary=" + BOUNDARY;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final URI base;

    public Http(URI base) {
        this.base = base;
    }

    public record Answer(int status, byte[] body, String contentType) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + new String(body, StandardCharsets.UTF_8), e);
            }
        }
    }

    public Answer get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    public Answer post(String path, byte[] body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** A multipart form with the image as the file part {@code image} and the given text fields. */
    public Answer postMultipart(String path, byte[] image, Map<String, String> fields) throws IOException, InterruptedException {
        return send("POST", path, multipart(image, fields), Map.of("Content-Type", MULTIPART_TYPE));
    }

    /** Sends {@code request} as written (no client in between) and reads the whole answer until the server closes. */
    public Answer raw(String request) throws IOException {
        return raw(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    public Answer raw(byte[] request) throws IOException {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(request);
            socket.shutdownOutput();
            byte[] all = socket.getInputStream().readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int headerEnd = text.indexOf("\r\n\r\n");
            if (!text.startsWith("HTTP/1.1 ") || headerEnd < 0) {
                throw new IOException("not an HTTP answer: " + text);
            }
            String head = text.substring(0, headerEnd);
            String contentType = head.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("content-type:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
            byte[] body = java.util.Arrays.copyOfRange(all, headerEnd + 4, all.length);
            if (head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                body = dechunk(body);
            }
            return new Answer(Integer.parseInt(text.substring(9, 12)), body, contentType);
        }
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < chunked.length) {
            int lineEnd = new String(chunked, at, chunked.length - at, StandardCharsets.ISO_8859_1).indexOf("\r\n") + at;
            int size = Integer.parseInt(new String(chunked, at, lineEnd - at, StandardCharsets.ISO_8859_1).trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    /** A request with any method and headers (e.g. {@code Authorization}); {@code body} null sends none. */
    public Answer send(String method, String path, byte[] body, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        return send(request);
    }

    /** A multipart form body with text fields and the file part {@code image}; its content type is {@link #MULTIPART_TYPE}. */
    public static byte[] multipart(byte[] image, Map<String, String> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (var field : fields.entrySet()) {
            out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + field.getKey() + "\"\r\n\r\n"
                    + field.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"query.jpg\"\r\n"
                + "Content-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(image);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private Answer send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Answer(response.statusCode(), response.body(), response.headers().firstValue("Content-Type").orElse(""));
    }
}
