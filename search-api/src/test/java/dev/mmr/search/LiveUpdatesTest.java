package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A running server over its own index sees commits made beside it, and takes authenticated writes itself. */
class LiveUpdatesTest {
    private static final String TOKEN = "test-write-token";
    private static final long VISIBLE_WITHIN_MS = 1000;
    @TempDir
    static Path temp;
    static Path indexDir;
    static TestCorpus.Running running;
    static Http http;
    static List<Path> images;

    @BeforeAll
    static void start() throws Exception {
        MatMambaModel model = MatMambaModel.load(TestCorpus.model());
        indexDir = TestCorpus.smallIndex(temp.resolve("index"), model, 20, Map.of());
        running = TestCorpus.start(model, indexDir, ServiceLimits.defaults(), temp.resolve("reports"), TOKEN);
        http = new Http(running.server().url());
        try (var files = Files.list(TestCorpus.images().resolve("ship"))) {
            images = files.sorted().skip(TestCorpus.PER_CLASS - 3).toList();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        running.close();
    }

    @Test
    void commitsMadeBesideTheServerAreSeenWithinASecond() throws Exception {
        Path image = images.get(0);
        String id = "beside/" + image.getFileName();
        int before = documents();
        // What `mmr add` does: encode at full width, put, commit, from a writer of its own.
        MatMambaModel model = running.model();
        float[] embedding = model.encode(model.preprocessor().preprocess(image), 1, model.full()).embedding(0);
        try (ImageIndexWriter writer = ImageIndexWriter.open(indexDir, model, IndexSettings.DEFAULT)) {
            writer.put(new ImageEntry(id, new ImageLocation.File(image), "ship", Map.of()), embedding);
            writer.commit(Map.of());
        }
        long seen = millisUntil(() -> http.get("/api/items/" + id).status() == 200);
        assertTrue(seen < VISIBLE_WITHIN_MS, "an added image is found after " + seen + " ms");
        assertEquals(before + 1, documents());
        assertEquals(id, firstHit(Files.readAllBytes(image)));
        // What `mmr delete` does.
        try (ImageIndexWriter writer = ImageIndexWriter.openExisting(indexDir)) {
            writer.delete(List.of(id));
            writer.commit(Map.of());
        }
        long gone = millisUntil(() -> http.get("/api/items/" + id).status() == 404);
        assertTrue(gone < VISIBLE_WITHIN_MS, "a deleted image is gone after " + gone + " ms");
        assertEquals(before, documents());
    }

    @Test
    void writesNeedTheToken() throws Exception {
        byte[] body = Http.multipart(Files.readAllBytes(images.get(1)), Map.of("id", "api/denied.jpg"));
        int before = documents();
        ClientErrorsTest.refused(http.send("POST", "/api/items", body, Map.of("Content-Type", Http.MULTIPART_TYPE)), 401, "unauthorized");
        ClientErrorsTest.refused(http.send("POST", "/api/items", body, Map.of("Content-Type", Http.MULTIPART_TYPE,
                "Authorization", "Bearer wrong-token")), 403, "forbidden");
        ClientErrorsTest.refused(http.send("DELETE", "/api/items/anything", null, Map.of()), 401, "unauthorized");
        ClientErrorsTest.refused(http.send("DELETE", "/api/items/anything", null, Map.of("Authorization", "Bearer nope")), 403, "forbidden");
        assertEquals(before, documents(), "refused writes change nothing");
    }

    @Test
    void anAuthorisedWriteIsSearchableAtOnceAndReplacesByIdExactlyOnce() throws Exception {
        byte[] image = Files.readAllBytes(images.get(2));
        String id = "api/new ship.jpg";
        int before = documents();
        Map<String, String> auth = Map.of("Content-Type", Http.MULTIPART_TYPE, "Authorization", "Bearer " + TOKEN);
        Http.Answer added = http.send("POST", "/api/items", Http.multipart(image, Map.of("id", id, "label", "ship", "field.camera", "x100")), auth);
        assertEquals(201, added.status(), () -> new String(added.body(), StandardCharsets.UTF_8));
        assertEquals(id, added.json().get("id").asText());
        assertEquals("x100", added.json().get("fields").get("camera").asText());
        assertEquals(id, firstHit(image), "searchable as soon as the write is answered");
        Http.Answer thumb = http.get(added.json().get("thumbnailUrl").asText());
        assertEquals(200, thumb.status());
        Http.Answer again = http.send("POST", "/api/items", Http.multipart(image, Map.of("id", id, "label", "boat")), auth);
        assertEquals(201, again.status());
        assertEquals("boat", again.json().get("label").asText());
        assertEquals(before + 1, documents(), "the same id twice is one image");
        ClientErrorsTest.refused(http.send("POST", "/api/items", Http.multipart("not an image".getBytes(StandardCharsets.UTF_8),
                Map.of("id", "api/bad")), auth), 422, "bad_image");
        ClientErrorsTest.refused(http.send("POST", "/api/items", Http.multipart(image, Map.of("id", "api/x", "field.id", "1")), auth),
                400, "bad_parameter");
        assertEquals(before + 1, documents(), "refused writes change nothing");
        Http.Answer deleted = http.send("DELETE", "/api/items/" + id.replace(" ", "%20"), null, Map.of("Authorization", "Bearer " + TOKEN));
        assertEquals(200, deleted.status(), () -> new String(deleted.body(), StandardCharsets.UTF_8));
        assertEquals(404, http.get("/api/items/" + id.replace(" ", "%20")).status());
        ClientErrorsTest.refused(http.send("DELETE", "/api/items/" + id.replace(" ", "%20"), null, Map.of("Authorization", "Bearer " + TOKEN)),
                404, "unknown_item");
        assertEquals(before, documents());
    }

    @Test
    void aServerWithoutATokenRefusesWrites() throws Exception {
        try (TestCorpus.Running readOnly = TestCorpus.start(ServiceLimits.defaults(), temp.resolve("reports"))) {
            Http client = new Http(readOnly.server().url());
            ClientErrorsTest.refused(client.send("POST", "/api/items", Http.multipart(Files.readAllBytes(images.get(0)), Map.of("id", "x")),
                    Map.of("Content-Type", Http.MULTIPART_TYPE, "Authorization", "Bearer " + TOKEN)), 403, "writes_disabled");
        }
    }

    private static int documents() throws Exception {
        return http.get("/health").json().get("documents").asInt();
    }

    private static String firstHit(byte[] image) throws Exception {
        JsonNode hits = http.post("/api/search?k=1&level=1", image).json().get("hits");
        return hits.get(0).get("id").asText();
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    /** Milliseconds until the check holds, polling every 20 ms for at most five seconds. */
    private static long millisUntil(Check check) throws Exception {
        long start = System.nanoTime();
        while (!check.holds()) {
            if (System.nanoTime() - start > 5_000_000_000L) {
                break;
            }
            Thread.sleep(20);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }
}
