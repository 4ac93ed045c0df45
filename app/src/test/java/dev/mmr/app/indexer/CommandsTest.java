package dev.mmr.app.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.app.Mmr;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.TestCorpus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands as bin/mmr runs them, in process, on a real index. */
class CommandsTest {
    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run mmr(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Mmr.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void indexInfoAddDeleteExport() throws Exception {
        Map<String, byte[]> images = TestCorpus.cifar(12);
        Path tree = TestCorpus.tree(tmp.resolve("tree"), images);
        String model = TestCorpus.goldenTiny().toString();
        String index = tmp.resolve("index").toString();
        Run indexed = mmr("index", "--model", model, "--source", tree.toString(), "--index", index, "--quiet");
        assertEquals(0, indexed.exit, indexed.err);
        assertTrue(indexed.out.contains("indexed 12,"), indexed.out);

        Run refused = mmr("index", "--model", model, "--source", tree.toString(), "--index", index, "--quantization", "int4");
        assertEquals(1, refused.exit);
        assertTrue(refused.err.contains("quantization none"), refused.err);

        JsonNode info = new ObjectMapper().readTree(mmr("info", "--index", index).out);
        assertEquals(12, info.get("documents").asInt());
        assertEquals("complete", info.get("state").asText());
        assertEquals("dot_product", info.get("embedding.similarity").asText());

        Path corrupt = Files.writeString(tmp.resolve("corrupt.jpg"), "not an image");
        Run bad = mmr("add", "--model", model, "--index", index, "--id", "new", "--image", corrupt.toString());
        assertEquals(1, bad.exit);
        assertTrue(bad.err.startsWith("mmr add: "), bad.err);
        Path extra = Files.write(tmp.resolve("extra.jpg"), images.values().iterator().next());
        assertEquals(0, mmr("add", "--model", model, "--index", index, "--id", "new", "--image", extra.toString(),
                "--label", "mine", "--field", "owner=me").exit);

        String first = images.keySet().iterator().next();
        Run unknown = mmr("delete", "--index", index, "--id", first, "--id", "nope");
        assertEquals(1, unknown.exit);
        assertTrue(unknown.err.contains("nope"), unknown.err);
        assertEquals(0, mmr("delete", "--index", index, "--id", first).exit);

        Path out = tmp.resolve("export");
        assertEquals(0, mmr("export", "--index", index, "--out", out.toString()).exit);
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
        assertEquals(0, mmr("index", "--help").exit);
    }
}
