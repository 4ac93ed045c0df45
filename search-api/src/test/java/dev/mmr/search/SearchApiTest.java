package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API against a real server on a real index of CIFAR-10 test images (see {@link TestCorpus}). */
class SearchApiTest {
    @TempDir
    static Path reports;
    static TestCorpus.Running running;
    static Http http;
    static Path catImage;
    static String catId;

    @BeforeAll
    static void start() throws IOException {
        Path report = reports.resolve("cifar10");
        Files.createDirectories(report);
        Files.writeString(report.resolve("report.json"), """
                {"rows": [{"name": "level2", "kind": "nested", "widths": [64, 64, 64, 64], "gflop": 0.1,
                           "top1_1nn": 0.61, "map10": 0.52, "head_top1": 0.7},
                          {"name": "baseline-l2", "kind": "baseline", "widths": [64, 64, 64, 64], "gflop": 0.1,
                           "top1_1nn": 0.2, "map10": 0.1, "head_top1": 0.3}]}""");
        Files.writeString(report.resolve("index.html"), "<html><body>report</body></html>");
        running = TestCorpus.start(ServiceLimits.defaults(), reports);
        http = new Http(running.server().url());
        try (var files = Files.list(TestCorpus.images().resolve("cat"))) {
            catImage = files.sorted().findFirst().orElseThrow();
        }
        catId = "cat/" + catImage.getFileName();
    }

    @AfterAll
    static void stop() throws IOException {
        running.close();
    }

    @Test
    void healthCountsTheIndexedImages() throws Exception {
        JsonNode health = ok(http.get("/health"));
        assertEquals("ok", health.get("status").asText());
        assertEquals(TestCorpus.PER_CLASS * TestCorpus.CLASSES, health.get("documents").asInt());
        assertEquals(running.model().fingerprint(), health.get("modelFingerprint").asText());
    }

    @Test
    void modelsListTheTrainedLevelsWithCostLatencyAndReportQuality() throws Exception {
        JsonNode submodels = ok(http.get("/api/models")).get("submodels");
        assertEquals(4, submodels.size());
        double previousGflop = Double.MAX_VALUE;
        for (JsonNode s : submodels) {
            assertTrue(s.get("gflop").asDouble() < previousGflop, "levels ordered from full width down: " + submodels);
            previousGflop = s.get("gflop").asDouble();
            assertTrue(s.get("latencyMs").asDouble() > 0, s.toString());
            assertTrue(s.get("params").asLong() > 0, s.toString());
        }
        JsonNode level2 = submodels.get(1);
        assertEquals("level2", level2.get("name").asText());
        assertEquals(1, level2.get("quality").size(), "the nested row matches, the baseline row does not: " + level2);
        assertEquals(0.61, level2.get("quality").get(0).get("top1_1nn").asDouble(), 1e-9);
        assertEquals(0, submodels.get(0).get("quality").size());
    }

    @Test
    void reportsAreListedAndTheirFilesServed() throws Exception {
        JsonNode list = ok(http.get("/api/reports")).get("reports");
        assertEquals(1, list.size());
        assertEquals("cifar10", list.get(0).get("name").asText());
        Http.Answer page = http.get(list.get(0).get("htmlUrl").asText());
        assertEquals(200, page.status());
        assertTrue(new String(page.body(), StandardCharsets.UTF_8).contains("report"));
    }

    @Test
    void aQueryImageFindsItselfFirstAtFullWidth() throws Exception {
        JsonNode result = ok(http.post("/api/search?k=5&level=1", Files.readAllBytes(catImage)));
        JsonNode hits = result.get("hits");
        assertEquals(5, hits.size());
        assertEquals(catId, hits.get(0).get("id").asText());
        assertEquals(1.0, hits.get(0).get("score").asDouble(), 1e-4);
        assertEquals("cat", hits.get(0).get("label").asText());
        for (int i = 1; i < hits.size(); i++) {
            assertTrue(hits.get(i).get("score").asDouble() <= hits.get(i - 1).get("score").asDouble());
        }
        assertEquals("level1", result.get("submodel").get("name").asText());
        assertTrue(result.get("submodel").get("gflop").asDouble() > 0);
        JsonNode t = result.get("timings");
        assertTrue(t.get("totalMs").asDouble() >= t.get("searchMs").asDouble() && t.get("totalMs").asDouble() > 0, t.toString());
        Http.Answer thumb = http.get(hits.get(0).get("thumbnailUrl").asText());
        assertEquals(200, thumb.status());
        assertTrue(thumb.contentType().startsWith("image/"));
    }

    @Test
    void compareEncodesTheQueryAtEveryTrainedLevelWithOverlapAgainstFullWidth() throws Exception {
        JsonNode result = ok(http.post("/api/compare?k=6", Files.readAllBytes(catImage)));
        assertEquals(6, result.get("k").asInt());
        assertEquals("level1", result.get("reference").asText());
        JsonNode columns = result.get("columns");
        assertEquals(4, columns.size());
        double previousGflop = Double.MAX_VALUE;
        for (JsonNode column : columns) {
            assertEquals(6, column.get("hits").size(), column.toString());
            double gflop = column.get("submodel").get("gflop").asDouble();
            assertTrue(gflop < previousGflop, "cheaper level by level: " + columns);
            previousGflop = gflop;
            double overlap = column.get("overlap").asDouble();
            assertTrue(overlap >= 0 && overlap <= 1, column.toString());
            assertTrue(column.get("encodeMs").asDouble() >= 0, column.toString());
        }
        assertEquals(catId, columns.get(0).get("hits").get(0).get("id").asText(), "at full width the query image finds itself first");
        assertEquals(1.0, columns.get(0).get("overlap").asDouble(), 1e-9);
        assertEquals(List.of("level1", "level2", "level4", "level8"),
                List.of(columns.get(0), columns.get(1), columns.get(2), columns.get(3)).stream().map(c -> c.get("submodel").get("name").asText()).toList());
        JsonNode dogs = ok(http.post("/api/compare?k=4&label=dog", Files.readAllBytes(catImage)));
        dogs.get("columns").forEach(c -> c.get("hits").forEach(h -> assertEquals("dog", h.get("label").asText())));
    }

    @Test
    void multipartUploadWithFormFieldsChoosesTheLevel() throws Exception {
        JsonNode result = ok(http.postMultipart("/api/search", Files.readAllBytes(catImage), Map.of("level", "8", "k", "3")));
        assertEquals("level8", result.get("submodel").get("name").asText());
        assertEquals(3, result.get("hits").size());
    }

    @Test
    void explicitPerLayerWidthsAreUsed() throws Exception {
        JsonNode result = ok(http.post("/api/search?widths=128,64,32,16", Files.readAllBytes(catImage)));
        int[] widths = new int[4];
        for (int i = 0; i < 4; i++) {
            widths[i] = result.get("submodel").get("widths").get(i).asInt();
        }
        assertArrayEquals(new int[] {128, 64, 32, 16}, widths);
        double full = ok(http.get("/api/models")).get("submodels").get(0).get("gflop").asDouble();
        assertTrue(result.get("submodel").get("gflop").asDouble() < full);
    }

    @Test
    void aRepeatedQueryIsACacheHit() throws Exception {
        byte[] image = Files.readAllBytes(TestCorpus.images().resolve("dog").toFile().listFiles()[0].toPath());
        long hitsBefore = ok(http.get("/api/metrics")).get("cache").get("hits").asLong();
        JsonNode first = ok(http.post("/api/search?level=4", image));
        JsonNode second = ok(http.post("/api/search?level=4", image));
        assertFalse(first.get("cached").asBoolean());
        assertTrue(second.get("cached").asBoolean());
        assertEquals(first.get("hits"), second.get("hits"));
        JsonNode other = ok(http.post("/api/search?level=2", image));
        assertFalse(other.get("cached").asBoolean(), "the cache key includes the submodel");
        JsonNode metrics = ok(http.get("/api/metrics"));
        assertTrue(metrics.get("cache").get("hits").asLong() >= hitsBefore + 1);
        assertTrue(metrics.get("cache").get("hitRate").asDouble() > 0);
        assertTrue(metrics.get("requests").get("search").asLong() >= 3);
        assertTrue(metrics.get("encodeLatency").get("level4").get("count").asLong() >= 1);
    }

    @Test
    void aSmallerBudgetPicksANarrowerSubmodel() throws Exception {
        byte[] image = Files.readAllBytes(catImage);
        JsonNode wide = ok(http.post("/api/search?budget_ms=100000", image));
        assertEquals("level1", wide.get("submodel").get("name").asText());
        assertTrue(wide.get("budgetMet").asBoolean());
        // Just under the full model's estimate: whatever this machine measured for the narrower levels (the rule itself,
        // with fixed latencies, is EncodeLatenciesTest's), the full model no longer fits, so a narrower one answers.
        JsonNode levels = ok(http.get("/api/models")).get("submodels");
        double budget = levels.get(0).get("latencyMs").asDouble() * 0.999;
        JsonNode narrow = ok(http.post("/api/search?budget_ms=" + budget, image));
        assertNotEquals("level1", narrow.get("submodel").get("name").asText(), levels.toString());
        assertTrue(narrow.get("submodel").get("gflop").asDouble() < wide.get("submodel").get("gflop").asDouble());
        JsonNode impossible = ok(http.post("/api/search?budget_ms=0.000001", image));
        assertEquals("level8", impossible.get("submodel").get("name").asText());
        assertFalse(impossible.get("budgetMet").asBoolean());
    }

    @Test
    void filtersBreadthAndExactSearch() throws Exception {
        byte[] image = Files.readAllBytes(catImage);
        JsonNode dogs = ok(http.post("/api/search?k=10&label=dog", image)).get("hits");
        assertEquals(10, dogs.size());
        dogs.forEach(h -> assertEquals("dog", h.get("label").asText()));
        JsonNode two = ok(http.post("/api/search?k=50&label=dog&label=ship", image)).get("hits");
        assertEquals(50, two.size());
        two.forEach(h -> assertTrue(List.of("dog", "ship").contains(h.get("label").asText())));
        assertEquals(0, ok(http.post("/api/search?field.camera=none", image)).get("hits").size());
        JsonNode exact = ok(http.post("/api/search?k=20&exact=true", image));
        JsonNode broad = ok(http.post("/api/search?k=20&ef=300", image));
        assertTrue(exact.get("exact").asBoolean());
        for (int i = 0; i < 20; i++) {
            assertEquals(exact.get("hits").get(i).get("id"), broad.get("hits").get(i).get("id"), "ef = corpus size is exact");
        }
    }

    @Test
    void itemsTheirImagesAndSimilarItems() throws Exception {
        JsonNode item = ok(http.get("/api/items/" + catId));
        assertEquals(catId, item.get("id").asText());
        assertEquals("cat", item.get("label").asText());
        Http.Answer original = http.get(item.get("imageUrl").asText());
        assertEquals(200, original.status());
        assertEquals("image/jpeg", original.contentType());
        assertArrayEquals(Files.readAllBytes(catImage), original.body());
        Http.Answer small = http.get("/api/items/" + catId + "/image?size=16");
        assertEquals("image/png", small.contentType());
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(small.body()));
        assertEquals(16, Math.max(decoded.getWidth(), decoded.getHeight()));
        JsonNode similar = ok(http.get("/api/items/" + catId + "/similar?k=7"));
        assertEquals(7, similar.get("hits").size());
        similar.get("hits").forEach(h -> assertNotEquals(catId, h.get("id").asText()));
        JsonNode viaQuery = ok(http.post("/api/search?k=8&level=1", Files.readAllBytes(catImage)));
        assertEquals(viaQuery.get("hits").get(1).get("id"), similar.get("hits").get(0).get("id"));
    }

    @Test
    void unknownIdsAre404AndChangeNothing() throws Exception {
        for (String path : List.of("/api/items/no/such.jpg", "/api/items/no/such.jpg/image", "/api/items/no/such.jpg/similar")) {
            refused(http.get(path), 404, "unknown_item");
        }
        refused(http.get("/api/nothing-here"), 404, "not_found");
        assertEquals(TestCorpus.PER_CLASS * TestCorpus.CLASSES, ok(http.get("/health")).get("documents").asInt());
    }

    @Test
    void badParametersAre400() throws Exception {
        byte[] image = Files.readAllBytes(catImage);
        for (String query : List.of("k=0", "k=abc", "k=100000", "level=3", "level=2&widths=128,64,32,16", "widths=128,64",
                "widths=a,b", "budget_ms=-1", "budget_ms=NaN", "k=10&ef=5", "exact=maybe")) {
            Http.Answer answer = http.post("/api/search?" + query, image);
            refused(answer, 400, "bad_parameter");
        }
        refused(http.get("/api/items/" + catId + "/image?size=0"), 400, "bad_parameter");
        refused(http.get("/api/items/" + catId + "/similar?k=-1"), 400, "bad_parameter");
        refused(http.post("/api/search", new byte[0]), 400, "missing_image");
        refused(http.postMultipart("/api/search", new byte[0], Map.of()), 400, "missing_image");
    }

    @Test
    void nonImagesAndPixelBombsAreRefused() throws Exception {
        long errorsBefore = errorCount("bad_image");
        Http.Answer text = http.post("/api/search", "hello, not an image".getBytes(StandardCharsets.UTF_8));
        refused(text, 422, "bad_image");
        Http.Answer truncated = http.post("/api/search", java.util.Arrays.copyOf(Files.readAllBytes(catImage), 40));
        refused(truncated, 422, "bad_image");
        Http.Answer bomb = http.post("/api/search", BigPng.headerOnly(60_000, 60_000));
        refused(bomb, 422, "bad_image");
        assertTrue(bomb.json().get("message").asText().toLowerCase().contains("pixel"), bomb.json().toString());
        assertEquals(errorsBefore + 3, errorCount("bad_image"));
    }

    @Test
    void tooLargeBodiesAndAFullQueueAreRefused() throws Exception {
        ServiceLimits tight = new ServiceLimits(200_000, 100, 1000, 1, 0, 16, 0);
        try (TestCorpus.Running small = TestCorpus.start(tight, reports)) {
            Http client = new Http(small.server().url());
            refused(client.post("/api/search", new byte[200_001]), 413, "body_too_large");
            refused(client.postMultipart("/api/search", new byte[200_001], Map.of()), 413, "body_too_large");
            byte[] photo = Files.readAllBytes(imagenetPhoto());
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try {
                List<Callable<Http.Answer>> calls = new ArrayList<>();
                for (int i = 0; i < 48; i++) {
                    calls.add(() -> client.post("/api/search?level=1", photo));
                }
                int ok = 0;
                int busy = 0;
                for (Future<Http.Answer> f : clients.invokeAll(calls)) {
                    Http.Answer a = f.get();
                    if (a.status() == 200) {
                        ok++;
                    } else {
                        refused(a, 503, "queue_full");
                        busy++;
                    }
                }
                assertTrue(ok > 0 && busy > 0, "some served, some refused: " + ok + " ok, " + busy + " busy");
            } finally {
                clients.shutdownNow();
            }
            assertEquals(200, client.post("/api/search?level=1", photo).status(), "serves again once the queue drains");
        }
    }

    @Test
    void concurrentQueriesOfOneSubmodelAreEncodedTogetherAndEachFindsItself() throws Exception {
        ServiceLimits oneWorker = new ServiceLimits(8L << 20, 100, 1000, 1, 64, 16, 0);
        List<String> ids = new ArrayList<>();
        try (var classes = Files.list(TestCorpus.images())) {
            for (Path folder : classes.filter(Files::isDirectory).sorted().limit(8).toList()) {
                try (var files = Files.list(folder)) {
                    ids.add(folder.getFileName() + "/" + files.sorted().skip(1).findFirst().orElseThrow().getFileName());
                }
            }
        }
        try (TestCorpus.Running batched = TestCorpus.start(oneWorker, reports)) {
            Http client = new Http(batched.server().url());
            ExecutorService clients = Executors.newFixedThreadPool(ids.size());
            try {
                double meanBatch = 1;
                for (int round = 0; round < 5 && meanBatch == 1; round++) {
                    List<Callable<Http.Answer>> calls = new ArrayList<>();
                    for (String id : ids) {
                        byte[] image = Files.readAllBytes(TestCorpus.images().resolve(id));
                        calls.add(() -> client.post("/api/search?k=1&level=1", image));
                    }
                    List<Future<Http.Answer>> answers = clients.invokeAll(calls);
                    for (int i = 0; i < ids.size(); i++) {
                        JsonNode hit = ok(answers.get(i).get()).get("hits").get(0);
                        assertEquals(ids.get(i), hit.get("id").asText(), "each query gets its own answer");
                        assertEquals(1.0, hit.get("score").asDouble(), 1e-4);
                    }
                    meanBatch = ok(client.get("/api/metrics")).get("encodeBatchSize").get("level1").asDouble();
                }
                assertTrue(meanBatch > 1, "one worker, " + ids.size() + " concurrent queries: some were encoded together");
            } finally {
                clients.shutdownNow();
            }
        }
    }

    private static Path imagenetPhoto() throws IOException {
        try (var files = Files.list(TestCorpus.root().resolve("data/imagenet-sample"))) {
            return files.filter(p -> p.toString().endsWith(".JPEG") || p.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
        }
    }

    private static long errorCount(String code) throws Exception {
        JsonNode errors = ok(http.get("/api/metrics")).get("errors");
        return errors.has(code) ? errors.get(code).asLong() : 0;
    }

    private static JsonNode ok(Http.Answer answer) {
        assertEquals(200, answer.status(), () -> new String(answer.body(), StandardCharsets.UTF_8));
        return answer.json();
    }

    private static void refused(Http.Answer answer, int status, String code) {
        JsonNode body = answer.json();
        assertEquals(status, answer.status(), body::toString);
        assertEquals(status, body.get("status").asInt(), body::toString);
        assertEquals(code, body.get("code").asText(), body::toString);
        assertFalse(body.get("message").asText().isBlank());
    }
}
