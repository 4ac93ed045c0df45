package dev.mmr.app.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mmr.app.CommandErrors;
import dev.mmr.app.MmrRun;
import dev.mmr.cuda.CudaDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/mmr bench-gpu}: its options, and its refusal where no GPU can run it (the GPU run itself is bin/gpu-run's). */
class BenchGpuCommandTest {
    @Test
    void withoutAUsableGpuSaysWhyAndWritesNothing(@TempDir Path dir) {
        assumeTrue(CudaDevice.unavailableReason().isPresent(), "a usable GPU is here: the refusal cannot be seen");
        Path json = dir.resolve("bench.json");
        MmrRun run = MmrRun.of("bench-gpu", "--shapes", "35M", "--precisions", "fp32", "--levels", "1", "--json", json.toString());
        assertEquals(CommandErrors.FAILED, run.exit(), run.err());
        assertTrue(run.err().startsWith("mmr bench-gpu: no usable GPU: " + CudaDevice.unavailableReason().get()), run.err());
        assertFalse(Files.exists(json));
    }

    @Test
    void refusesAnUnknownPrecisionAsAWrongCommandLine() {
        MmrRun run = MmrRun.of("bench-gpu", "--precisions", "fp32,fp64");
        assertEquals(CommandErrors.USAGE, run.exit(), run.err());
        assertTrue(run.err().contains("unknown precision 'fp64' (known: fp32, tf32, bf16)"), run.err());
    }

    @Test
    void refusesAnUnknownScanFormAsAWrongCommandLine() {
        MmrRun run = MmrRun.of("bench-gpu", "--scan", "recurrent,chunked");
        assertEquals(CommandErrors.USAGE, run.exit(), run.err());
        assertTrue(run.err().contains("unknown scan form 'chunked' (known: recurrent, tensor, auto)"), run.err());
        MmrRun tiled = MmrRun.of("bench-gpu", "--scan", "tiled");
        assertEquals(CommandErrors.USAGE, tiled.exit(), tiled.err());
        assertTrue(tiled.err().contains("unknown scan form 'tiled' (known: recurrent, tensor, auto)"), tiled.err());
    }

    @Test
    void isAmongTheLaunchersCommands() {
        MmrRun run = MmrRun.of("--help");
        assertEquals(0, run.exit());
        assertTrue(run.out().contains("bench-gpu"), run.out());
    }
}
