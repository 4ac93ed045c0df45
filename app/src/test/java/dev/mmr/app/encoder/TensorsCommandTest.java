package dev.mmr.app.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.app.Mmr;
import dev.mmr.encoder.SafeTensors;
import dev.mmr.encoder.SafeTensorsWriter;
import dev.mmr.encoder.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/mmr tensors} end to end: the golden input in, every golden case out. */
class TensorsCommandTest {
    private static Path root() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models"))) {
                return p;
            }
        }
        throw new IllegalStateException("no directory holding models/");
    }

    private static final Path GOLDEN = root().resolve("encoder/src/test/resources/golden/golden_a.io.safetensors");

    @Test
    void writesEveryGoldenCase(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("out.safetensors");
        int rc = Mmr.commandLine().execute("tensors", "--model", root().resolve("models/golden-tiny").toString(),
                "--input", GOLDEN.toString(), "--out", out.toString(), "--levels", "1,2,4,8",
                "--widths", "128,64,32,16", "--widths", "16,32,64,128");
        assertEquals(0, rc);
        Map<String, Tensor> golden = SafeTensors.read(GOLDEN);
        Map<String, Tensor> written = SafeTensors.read(out);
        golden.remove("input");
        assertEquals(golden.keySet(), written.keySet());
        for (String key : golden.keySet()) {
            double err = relativeL2(written.get(key).data(), golden.get(key).data());
            assertTrue(err < 1e-4, key + ": relative L2 error " + err);
        }
    }

    @Test
    void refusesAnInputOfTheWrongShapeAndWritesNothing(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.safetensors");
        SafeTensorsWriter.write(in, Map.of("input", new Tensor(new long[] {1, 3, 16, 16}, new float[3 * 16 * 16])));
        Path out = dir.resolve("out.safetensors");
        int rc = Mmr.commandLine().execute("tensors", "--model", root().resolve("models/golden-tiny").toString(),
                "--input", in.toString(), "--out", out.toString());
        assertEquals(1, rc);
        assertFalse(Files.exists(out));
        assertEquals(List.of("in.safetensors"), Files.list(dir).map(p -> p.getFileName().toString()).toList());
    }

    @Test
    void refusesInvalidWidths(@TempDir Path dir) {
        int rc = Mmr.commandLine().execute("tensors", "--model", root().resolve("models/golden-tiny").toString(),
                "--input", GOLDEN.toString(), "--out", dir.resolve("o.safetensors").toString(), "--widths", "128,64,33,16");
        assertEquals(1, rc);
    }

    private static double relativeL2(float[] a, float[] b) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < b.length; i++) {
            num += (a[i] - b[i]) * (double) (a[i] - b[i]);
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }
}
