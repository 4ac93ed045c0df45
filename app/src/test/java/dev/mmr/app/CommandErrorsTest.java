package dev.mmr.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** Every command fails the same way: one line {@code mmr <command>: <message>} and an exit code saying whose fault it is. */
class CommandErrorsTest {
    @TempDir
    Path tmp;

    @Test
    void aWrongCommandLineIsAUsageErrorWithAHint() {
        MmrRun r = MmrRun.of("info", "--index", tmp.toString(), "--frobnicate");
        assertEquals(CommandErrors.USAGE, r.exit());
        assertTrue(r.err().startsWith("mmr info: Unknown option: '--frobnicate'"), r.err());
        assertTrue(r.err().contains("Try 'mmr info --help'."), r.err());

        MmrRun missing = MmrRun.of("eval", "--model", tmp.toString(), "--database", tmp.toString(), "--queries",
                tmp.toString(), "--out", tmp.resolve("out").toString(), "--hnsw-candidates", "1");
        assertEquals(CommandErrors.USAGE, missing.exit());
        assertTrue(missing.err().startsWith("mmr eval: --limit must be >= 0, --batch >= 1"), missing.err());

        MmrRun mix = MmrRun.of("eval", "--model", tmp.toString(), "--database", tmp.toString(), "--queries",
                tmp.toString(), "--out", tmp.resolve("out").toString(), "--mix", "256,x,64");
        assertEquals(CommandErrors.USAGE, mix.exit());
        assertTrue(mix.err().startsWith("mmr eval: --mix 256,x,64: one whole-number width per layer"), mix.err());
    }

    @Test
    void badInputIsOneLineAndExitCodeOneInEveryCommand() {
        Path nowhere = tmp.resolve("nowhere");
        MmrRun info = MmrRun.of("info", "--index", nowhere.toString());
        MmrRun tensors = MmrRun.of("tensors", "--model", nowhere.toString(), "--input", nowhere.toString(),
                "--out", tmp.resolve("o.safetensors").toString());
        MmrRun eval = MmrRun.of("eval", "--model", nowhere.toString(), "--database", tmp.toString(), "--queries",
                tmp.toString(), "--out", tmp.resolve("out").toString());
        for (var c : new Object[][] {{"info", info}, {"tensors", tensors}, {"eval", eval}}) {
            MmrRun r = (MmrRun) c[1];
            assertEquals(CommandErrors.FAILED, r.exit(), r.err());
            assertTrue(r.err().startsWith("mmr " + c[0] + ": "), r.err());
            assertEquals(1, r.err().lines().count(), "one line, no stack trace: " + r.err());
            assertTrue(r.err().contains("nowhere"), "names what is wrong: " + r.err());
        }
    }

    @Command(name = "broken")
    static final class Broken implements Runnable {
        @Override
        public void run() {
            throw new IllegalStateException("a bug");
        }
    }

    @Test
    void anUnexpectedErrorIsReportedAsInternalWithItsStackTrace() {
        MmrRun r = MmrRun.of(CommandErrors.install(new CommandLine(new Broken())));
        assertEquals(CommandErrors.INTERNAL, r.exit());
        assertTrue(r.err().startsWith("mmr broken: internal error: java.lang.IllegalStateException: a bug"), r.err());
        assertTrue(r.err().contains("at dev.mmr.app.CommandErrorsTest$Broken.run"), r.err());
    }
}
