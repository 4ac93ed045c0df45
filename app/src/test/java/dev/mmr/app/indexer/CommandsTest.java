package dev.mmr.app.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.app.MmrRun;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.TestCorpus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands as bin/mmr runs them, in process, on a real index. */
class CommandsTest {
    @TempDir
    Path tmp;

    @Test
    void indexInfoAddDeleteExport() throws Exception {
        Map<String, byte[]> images = TestCorpus.cifar(12);
        Path tree = TestCorpus.tree(tmp.resolve("tree"), images);
        String model = TestCorpus.goldenTiny().toString();
        String index = tmp.resolve("index").toString();
        MmrRun indexed = MmrRun.of("index", "--model", model, "--source", tree.toString(), "--index", index, "--quiet");
        assertEquals(0, indexed.exit(), indexed.err());
        assertTrue(indexed.out().contains("indexed 12,"), indexed.out());

        MmrRun refused = MmrRun.of("index", "--model", model, "--source", tree.toString(), "--index", index, "--quantization", "int4");
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("quantization none"), refused.err());

        JsonNode info = new ObjectMapper().readTree(MmrRun.of("info", "--index", index).out());
        assertEquals(12, info.get("documents").asInt());
        assertEquals("complete", info.get("state").asText());
        assertEquals("dot_product", info.get("embedding.similarity").asText());

        Path corrupt = Files.writeString(tmp.resolve("corrupt.jpg"), "not an image");
        MmrRun bad = MmrRun.of("add", "--model", model, "--index", index, "--id", "new", "--image", corrupt.toString());
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith("mmr add: "), bad.err());
        Path extra = Files.write(tmp.resolve("extra.jpg"), images.values().iterator().next());
        assertEquals(0, MmrRun.of("add", "--model", model, "--index", index, "--id", "new", "--image", extra.toString(),
                "--label", "mine", "--field", "owner=me").exit());

        String first = images.keySet().iterator().next();
        MmrRun unknown = MmrRun.of("delete", "--index", index, "--id", first, "--id", "nope");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("nope"), unknown.err());
        assertEquals(0, MmrRun.of("delete", "--index", index, "--id", first).exit());

        Path out = tmp.resolve("export");
        assertEquals(0, MmrRun.of("export", "--index", index, "--out", out.toString()).exit());
        byte[] npy = Files.readAllBytes(out.resolve("embeddings.npy"));
        int headerLength = (npy[8] & 0xff) | (npy[9] & 0xff) << 8;
        String header = new String(npy, 10, headerLength, StandardCharsets.US_ASCII);
        assertEquals(0, (10 + headerLength) % 64);
        assertTrue(header.contains("'descr': '<f4'") && header.contains("'shape': (12, 128)"), header);
        List<String> rows = Files.readAllLines(out.resolve("images.csv"));
        assertEquals(13, rows.size());

        try (MatMambaModel encoder = MatMambaModel.load(TestCorpus.goldenTiny());
             ImageIndex opened = ImageIndex.open(Path.of(index), encoder)) {
            assertEquals(Map.of("owner", "me"), opened.get("new").orElseThrow().fields());
            ByteBuffer data = ByteBuffer.wrap(npy, 10 + headerLength, npy.length - 10 - headerLength).order(ByteOrder.LITTLE_ENDIAN);
            for (int row = 1; row < rows.size(); row++) {
                String id = rows.get(row).split(",")[1].replace("\"", "");
                float[] exported = new float[128];
                data.asFloatBuffer().get((row - 1) * 128, exported);
                assertArrayEquals(opened.vector(id).orElseThrow(), exported, id);
            }
        }
        assertEquals(0, MmrRun.of("index", "--help").exit());
    }

    /** bench-index: both rows, the end-to-end one over the source's decodable images, the encoder-only one over at least as many. */
    @Test
    void benchIndexPrintsBothRuns() throws Exception {
        Map<String, byte[]> images = new java.util.TreeMap<>(TestCorpus.cifar(10));
        images.put("broken.png", "not an image".getBytes(StandardCharsets.UTF_8));
        Path tree = TestCorpus.tree(tmp.resolve("tree"), images);
        MmrRun run = MmrRun.of("bench-index", "--model", TestCorpus.goldenTiny().toString(), "--source", tree.toString(),
                "--batch", "4", "--threads", "2");
        assertEquals(0, run.exit(), run.err());
        java.util.regex.Matcher encoderOnly = java.util.regex.Pattern
                .compile("\\| encoder only \\(10 preprocessed in memory, \\d+ calls at once\\) \\| (\\d+) \\|").matcher(run.out());
        assertTrue(encoderOnly.find(), run.out());
        assertTrue(Integer.parseInt(encoderOnly.group(1)) >= 10, run.out());
        assertTrue(run.out().contains("| decoding and preprocessing only (the sample, 2 threads) | 10 |"), run.out());
        assertTrue(run.out().contains("| indexing end to end | 11 |"), run.out());
        assertTrue(run.out().contains("indexer overhead:"), run.out());
    }
}
