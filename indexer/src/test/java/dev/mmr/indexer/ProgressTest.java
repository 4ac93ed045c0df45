package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ProgressBar;
import org.junit.jupiter.api.Test;

/** The reporter's two faces: a bar redrawn in place on a terminal, whole lines in a log; both with count, rate and ETA. */
class ProgressTest {
    private static String render(boolean terminal) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        try (ProgressBar bar = Progress.bar("encode queries", " images", 1000, terminal, out)) {
            bar.stepBy(400);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aLogGetsWholeLinesWithCountRateAndEta() {
        String log = render(false);
        assertFalse(log.contains("\r"), "no carriage returns in a log: " + log);
        String last = log.lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("encode queries"), last);
        assertTrue(last.contains("400/1000"), last);
        assertTrue(last.contains("images/s"), "the rate: " + last);
        assertTrue(last.matches(".*\\(\\d+:\\d\\d:\\d\\d / \\d+:\\d\\d:\\d\\d\\).*"), "elapsed / ETA: " + last);
    }

    @Test
    void aTerminalGetsABarRedrawnInPlace() {
        String screen = render(true);
        assertTrue(screen.contains("\r"), "redrawn with a carriage return: " + screen);
        assertTrue(screen.contains("40%"), screen);
        assertTrue(screen.contains("[==="), "a bar: " + screen);
    }
}
