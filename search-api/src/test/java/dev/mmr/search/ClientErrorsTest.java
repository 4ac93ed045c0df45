package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed and hostile requests against a real server: each is a 4xx JSON refusal, never a 500, and changes nothing. */
class ClientErrorsTest {
    @TempDir
    static Path reports;
    static TestCorpus.Running running;
    static Http http;
    static byte[] cat;
    static String catId;

    @BeforeAll
    static void start() throws Exception {
        running = TestCorpus.start(ServiceLimits.defaults(), reports);
        http = new Http(running.server().url());
        Path file;
        try (var files = Files.list(TestCorpus.images().resolve("cat"))) {
            file = files.sorted().findFirst().orElseThrow();
        }
        cat = Files.readAllBytes(file);
        catId = "cat/" + file.getFileName();
    }

    @AfterAll
    static void stop() throws Exception {
        running.close();
    }

    @Test
    void moreLabelsThanTheLimitAre400() throws Exception {
        for (int labels : new int[] {150, 1100}) {
            Http.Answer answer = http.raw(multipartWithLabels(labels));
            refused(answer, 400, labels > 1000 ? "bad_multipart" : "bad_parameter");
        }
        refused(http.get("/api/items/" + catId + "/similar?" + "label=c&".repeat(900) + "k=3"), 400, "bad_parameter");
        assertEquals(0, internalErrors());
    }

    private static String multipartWithLabels(int labels) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < labels; i++) {
            body.append("--b\r\nContent-Disposition: form-data; name=\"label\"\r\n\r\nl").append(i).append("\r\n");
        }
        body.append("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\n\r\n")
                .append(new String(cat, StandardCharsets.ISO_8859_1)).append("\r\n--b--\r\n");
        return "POST /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @Test
    void aTruncatedMultipartBodyIs400() throws Exception {
        String body = "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"q.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
                + new String(cat, StandardCharsets.ISO_8859_1);
        String request = "POST /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
        Http.Answer answer = http.raw(request);
        refused(answer, 400, "bad_multipart");
        assertEquals(0, internalErrors());
    }

    @Test
    void aMalformedChunkedBodyIs400() throws Exception {
        String request = "POST /api/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n10\r\nshort\r\nzz\r\n";
        Http.Answer answer = http.raw(request);
        assertEquals(400, answer.status(), () -> new String(answer.body(), StandardCharsets.UTF_8));
        assertEquals(400, answer.json().get("status").asInt());
        assertEquals(0, internalErrors());
    }

    @Test
    void anOverlongUriAndOverlongHeadersAreJson() throws Exception {
        Http.Answer uri = http.raw("GET /api/items/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        refused(uri, 414, "uri_too_long");
        Http.Answer headers = http.raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\nConnection: close\r\n\r\n");
        refused(headers, 431, "headers_too_large");
    }

    @Test
    void onlyTrainedLevelsAreLevels() throws Exception {
        for (int level : new int[] {16, 32, 64}) {
            refused(http.post("/api/search?level=" + level, cat), 400, "bad_parameter");
        }
        for (int level : new int[] {1, 2, 4, 8}) {
            assertEquals(200, http.post("/api/search?k=1&level=" + level, cat).status());
        }
    }

    @Test
    void negativeOrMalformedWidthsAre400() throws Exception {
        for (String widths : new String[] {"128,-64,32,16", "-128,64,32,16", "128,,64,32,16", "128,64,32,16,", "0,64,32,16"}) {
            refused(http.post("/api/search?widths=" + widths, cat), 400, "bad_parameter");
        }
        assertEquals(200, http.post("/api/search?widths=128,64,32,16", cat).status());
        assertEquals(200, http.post("/api/search?widths=128-64-32-16", cat).status());
    }

    @Test
    void aWrongMethodOnAKnownRouteIs405() throws Exception {
        Http.Answer put = http.raw("PUT /api/items/" + catId + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        refused(put, 405, "method_not_allowed");
        Http.Answer delete = http.raw("DELETE /api/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        refused(delete, 405, "method_not_allowed");
        Http.Answer get = http.get("/api/search");
        refused(get, 405, "method_not_allowed");
        refused(http.get("/api/no-such-route"), 404, "not_found");
    }

    @Test
    void itemsDoNotExposeServerPaths() throws Exception {
        Http.Answer answer = http.get("/api/items/" + catId);
        assertEquals(200, answer.status());
        String text = new String(answer.body(), StandardCharsets.UTF_8);
        assertFalse(text.contains(TestCorpus.root().toString()), text);
        assertFalse(answer.json().has("path"), text);
        assertEquals(catId, answer.json().get("id").asText());
    }

    private static long internalErrors() throws Exception {
        JsonNode errors = http.get("/api/metrics").json().get("errors");
        return errors.has("internal") ? errors.get("internal").asLong() : 0;
    }

    static void refused(Http.Answer answer, int status, String code) {
        JsonNode body = answer.json();
        assertEquals(status, answer.status(), body::toString);
        assertTrue(answer.contentType().startsWith("application/json"), answer.contentType());
        assertEquals(status, body.get("status").asInt(), body::toString);
        assertEquals(code, body.get("code").asText(), body::toString);
        assertFalse(body.get("message").asText().isBlank());
        assertFalse(Arrays.asList(body.get("message").asText().split(" ")).contains("Exception"), body::toString);
    }
}
