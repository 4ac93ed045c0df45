package dev.mmr.app.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.app.Mmr;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.eval.EmbeddingCache;
import dev.mmr.eval.Embeddings;
import dev.mmr.eval.ImageCorpora;
import dev.mmr.eval.Submodel;
import dev.mmr.eval.SubmodelSweep;
import dev.mmr.indexer.source.ImageSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole command on real CIFAR-10 JPEGs with the golden-tiny checkpoint: a database of 40 train
 * images (4 per class), 20 test queries (2 per class) plus one corrupt file.
 */
class EvalEndToEndTest {
    static Path root;
    @TempDir static Path data;

    @BeforeAll
    static void smallImageFolders() throws Exception {
        root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("models"))) {
            root = root.getParent();
        }
        Map<String, Integer> perFolder = new HashMap<>();
        try (ImageSource archive = ImageSource.open(root.resolve("data/cifar10.tar.xz"), null)) {
            archive.scan((entry, content) -> {
                String split = entry.id().substring(0, entry.id().indexOf('/'));
                int wanted = split.equals("train") ? 4 : 2;
                String folder = split + "/" + entry.label();
                if (perFolder.merge(folder, 1, Integer::sum) <= wanted) {
                    Path file = data.resolve(entry.id());
                    Files.createDirectories(file.getParent());
                    Files.write(file, content.read());
                }
                return perFolder.size() < 20 || perFolder.values().stream().anyMatch(n -> n < 4);
            });
        }
        Files.writeString(data.resolve("test/cat/corrupt.jpg"), "this is not a JPEG");
    }

    private static int run(Path model, Path out, Path cache, String... extra) {
        List<String> args = new ArrayList<>(List.of("eval", "--model", model.toString(), "--database", data.resolve("train").toString(),
                "--queries", data.resolve("test").toString(), "--out", out.toString(), "--cache", cache.toString(), "--batch", "16"));
        args.addAll(List.of(extra));
        return Mmr.commandLine().execute(args.toArray(String[]::new));
    }

    private static Map<String, JsonNode> rowsByName(JsonNode report) {
        Map<String, JsonNode> rows = new HashMap<>();
        report.get("rows").forEach(r -> rows.put(r.get("name").asText(), r));
        return rows;
    }

    @Test
    void measuresEverySubmodelAndBaselineAndReusesCachedEmbeddingsByFingerprint(@TempDir Path work) throws Exception {
        Path golden = root.resolve("models/golden-tiny");
        Path cache = work.resolve("cache");
        Path out = work.resolve("report");
        assertEquals(0, run(golden, out, cache, "--baseline", golden + "@1", "--baseline", golden + "@2", "--mix", "128,96,64,32"));

        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertEquals(40, report.get("database").get("images").asInt());
        assertEquals(20, report.get("queries").get("images").asInt());
        assertEquals(1, report.get("queries").get("skipped").asInt(), "the corrupt file is skipped, not fatal");
        Map<String, JsonNode> rows = rowsByName(report);
        List<Submodel> sweep;
        try (MatMambaModel model = MatMambaModel.load(golden)) {
            sweep = SubmodelSweep.of(model, List.<int[]>of(new int[] {128, 96, 64, 32}));
        }
        assertEquals(sweep.size() + 2, rows.size());
        for (String level : List.of("level1", "level2", "level4", "level8")) {
            assertEquals("nested", rows.get(level).get("kind").asText());
        }
        assertTrue(sweep.stream().anyMatch(s -> s.kind() == Submodel.Kind.MIXNMATCH));
        assertEquals("mixnmatch", rows.get("mix-128-96-64-32").get("kind").asText(), "the --mix row");
        assertTrue(rows.get("level1").get("gflop").asDouble() > rows.get("level8").get("gflop").asDouble());
        for (JsonNode row : rows.values()) {
            for (String metric : List.of("top1_1nn", "map10", "head_top1", "recall10_hnsw")) {
                double v = row.get(metric).asDouble();
                assertTrue(v >= 0 && v <= 1, row.get("name") + " " + metric + " = " + v);
            }
            assertTrue(row.get("images_per_s").asDouble() > 0);
        }
        // the same checkpoint as baseline: its level-k queries against its own full database are the nested rows
        for (String metric : List.of("top1_1nn", "map10", "head_top1", "gflop", "params")) {
            assertEquals(rows.get("level1").get(metric), rows.get("baseline-l1").get(metric), metric);
            assertEquals(rows.get("level2").get(metric), rows.get("baseline-l2").get(metric), metric);
        }
        assertEquals("baseline", rows.get("baseline-l2").get("kind").asText());

        // 1-NN top-1 recomputed by a plain loop over the cached embeddings
        EmbeddingCache entries = new EmbeddingCache(cache);
        String fingerprint;
        try (MatMambaModel model = MatMambaModel.load(golden)) {
            fingerprint = model.fingerprint();
        }
        String full = "128-128-128-128";
        Embeddings database = entries.get(EmbeddingCache.key(fingerprint, full, ImageCorpora.open(data.resolve("train"), null).identity(), 0)).orElseThrow();
        Embeddings queries = entries.get(EmbeddingCache.key(fingerprint, full, ImageCorpora.open(data.resolve("test"), null).identity(), 0)).orElseThrow();
        int hits = 0;
        for (int q = 0; q < queries.size(); q++) {
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int d = 0; d < database.size(); d++) {
                double s = 0;
                for (int i = 0; i < database.dim(); i++) {
                    s += queries.vectors()[q * database.dim() + i] * database.vectors()[d * database.dim() + i];
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = d;
                }
            }
            hits += database.labels().get(best).equals(queries.labels().get(q)) ? 1 : 0;
        }
        assertEquals(hits / 20.0, rows.get("level1").get("top1_1nn").asDouble(), 1e-9);

        // one entry per (fingerprint, widths, source): the baselines share the nested model's entries
        Map<Path, FileTime> firstRun = cacheFiles(cache);
        assertEquals(1 + sweep.size(), firstRun.size());
        assertEquals(0, run(golden, work.resolve("again"), cache, "--baseline", golden + "@1", "--baseline", golden + "@2",
                "--mix", "128,96,64,32"));
        assertEquals(firstRun, cacheFiles(cache), "a rerun reads the cache and encodes nothing");
        assertEquals(report.get("rows"), new ObjectMapper().readTree(work.resolve("again/report.json").toFile()).get("rows"));

        // a changed checkpoint (config.json bytes differ) has another fingerprint, so new entries
        Path edited = work.resolve("edited-model");
        Files.createDirectories(edited);
        try (Stream<Path> files = Files.list(golden)) {
            for (Path f : files.toList()) {
                Files.copy(f, edited.resolve(f.getFileName()));
            }
        }
        Files.writeString(edited.resolve("config.json"), Files.readString(edited.resolve("config.json")) + "\n");
        assertEquals(0, run(edited, work.resolve("edited-report"), cache, "--hnsw-quantization", "int7", "--mix", "128,96,64,32"));
        assertEquals(2 * (1 + sweep.size()), cacheFiles(cache).size());
        JsonNode editedReport = new ObjectMapper().readTree(work.resolve("edited-report/report.json").toFile());
        JsonNode editedLevel1 = rowsByName(editedReport).get("level1");
        assertEquals(rows.get("level1").get("top1_1nn"), editedLevel1.get("top1_1nn"), "same weights, same figures");
        assertNotEquals(fingerprint, editedReport.get("model").get("fingerprint").asText());
        assertTrue(editedReport.get("protocol").get("hnsw").asText().contains("quantization int7"));
        assertTrue(editedLevel1.get("recall10_hnsw").asDouble() > 0.5, "an int7 index still finds most of the exact top 10");
    }

    @Test
    void refusesAnUnlabelledBaselineLevelAMissingSourceAndWidthsTheModelHasNot(@TempDir Path work) {
        Path golden = root.resolve("models/golden-tiny");
        assertEquals(1, run(golden, work.resolve("out"), work.resolve("cache"), "--baseline", golden.toString()));
        assertEquals(1, run(golden, work.resolve("out"), work.resolve("cache"), "--mix", "128,64,32"));
        assertEquals(1, run(golden, work.resolve("out"), work.resolve("cache"), "--mix", "128,64,32,16"), "the sweep's own pyramid");
        assertTrue(Files.notExists(work.resolve("cache")), "refused before anything is encoded");
        assertEquals(1, Mmr.commandLine().execute("eval", "--model", golden.toString(), "--database", work.resolve("nowhere").toString(),
                "--queries", data.resolve("test").toString(), "--out", work.resolve("out").toString()));
        assertTrue(Files.notExists(work.resolve("out")), "a refused run writes nothing");
    }

    private static Map<Path, FileTime> cacheFiles(Path cache) throws Exception {
        Map<Path, FileTime> files = new HashMap<>();
        try (Stream<Path> list = Files.list(cache)) {
            for (Path f : list.toList()) {
                files.put(f, Files.getLastModifiedTime(f));
            }
        }
        return files;
    }
}
