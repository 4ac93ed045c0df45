package dev.mmr.app.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.app.Mmr;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@code bin/mmr bench-encoder} runs and prints one row per batch and width (timings are not asserted). */
class BenchEncoderCommandTest {
    @Test
    void printsARowPerBatchAndLevel() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Mmr.commandLine().execute("bench-encoder", "--shapes", "35M", "--batches", "1,2", "--levels", "1,8",
                    "--image-size", "32", "--layers", "1", "--warmup", "0", "--iterations", "1");
        } finally {
            System.setOut(out);
        }
        assertEquals(0, rc);
        String text = buf.toString(StandardCharsets.UTF_8);
        for (String row : new String[] {"35M        1 level1", "35M        1 level8", "35M        2 level1", "35M        2 level8"}) {
            assertTrue(text.contains(row), "missing row '" + row + "' in:\n" + text);
        }
        assertTrue(text.contains("selective scan"), text);
    }

    @Test
    void runsTheCifarShapeAtItsOwnSize() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = System.out;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Mmr.commandLine().execute("bench-encoder", "--shapes", "cifar", "--batches", "4", "--levels", "1",
                    "--layers", "1", "--warmup", "0", "--iterations", "1");
        } finally {
            System.setOut(out);
        }
        assertEquals(0, rc);
        String text = buf.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("d_model 256, 1 layers, d_state 64, 32px patch 4 (65 tokens)"), text);
        assertTrue(text.contains("cifar      4 level1"), text);
    }
}
