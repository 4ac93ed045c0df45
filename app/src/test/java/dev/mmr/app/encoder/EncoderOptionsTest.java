package dev.mmr.app.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mmr.app.Mmr;
import dev.mmr.encoder.BackendProvider;
import dev.mmr.encoder.Device;
import dev.mmr.encoder.Precision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code --device} and {@code --precision} as commands take them: parsing, defaults, and the errors a user sees. */
class EncoderOptionsTest {

    @Test
    void parsesDeviceAndPrecisionInAnyCaseWithAutoAndFp32AsDefaults() {
        TensorsCommand given = new TensorsCommand();
        new CommandLine(given).parseArgs("--model", "m", "--input", "i", "--out", "o", "--device", "CPU", "--precision", "BF16");
        assertEquals(Device.CPU, given.encoder.device());
        assertEquals(Precision.BF16, given.encoder.precision());
        TensorsCommand defaults = new TensorsCommand();
        new CommandLine(defaults).parseArgs("--model", "m", "--input", "i", "--out", "o");
        assertEquals(Device.AUTO, defaults.encoder.device());
        assertEquals(Precision.FP32, defaults.encoder.precision());
    }

    @Test
    void anUnknownDeviceOrPrecisionIsAUsageErrorListingTheChoices() {
        StringWriter err = new StringWriter();
        CommandLine cl = Mmr.commandLine();
        cl.getSubcommands().get("tensors").setErr(new PrintWriter(err));
        assertEquals(2, cl.execute("tensors", "--model", "m", "--input", "i", "--out", "o", "--device", "gpu"));
        assertTrue(err.toString().contains("unknown device 'gpu' (known: cpu, cuda, auto)"), err.toString());
        assertEquals(2, cl.execute("tensors", "--model", "m", "--input", "i", "--out", "o", "--precision", "fp16"));
        assertTrue(err.toString().contains("unknown precision 'fp16' (known: fp32, tf32, bf16)"), err.toString());
    }

    @Test
    void cudaRequestedWhereItCannotRunFailsTheCommandNamingWhyAndWritesNothing(@TempDir Path dir) throws Exception {
        assumeNoUsableGpu();
        Path root = Path.of("").toAbsolutePath().getParent();
        Path out = dir.resolve("out.safetensors");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Mmr.commandLine().execute("tensors", "--model", root.resolve("models/golden-tiny").toString(),
                    "--input", root.resolve("encoder/src/test/resources/golden/golden_a.io.safetensors").toString(),
                    "--out", out.toString(), "--device", "cuda");
        } finally {
            System.setErr(err);
        }
        assertEquals(1, rc);
        assertTrue(captured.toString(StandardCharsets.UTF_8).contains("tensors: --device cuda: cuda is not usable here: "),
                captured.toString(StandardCharsets.UTF_8));
        assertFalse(Files.exists(out));
    }

    @Test
    void benchEncoderRefusesAPrecisionTheCpuDoesNotComputeAndAnUnusableDevice() {
        assumeNoUsableGpu();
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int bf16;
        int cuda;
        try {
            bf16 = Mmr.commandLine().execute("bench-encoder", "--shapes", "cifar", "--batches", "1", "--levels", "1",
                    "--layers", "1", "--warmup", "0", "--iterations", "1", "--device", "cpu", "--precision", "bf16");
            cuda = Mmr.commandLine().execute("bench-encoder", "--shapes", "cifar", "--device", "cuda");
        } finally {
            System.setErr(err);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, bf16);
        assertTrue(printed.contains("bench-encoder: the cpu backend computes in fp32 only; precision bf16 needs --device cuda"), printed);
        assertEquals(1, cuda);
        assertTrue(printed.contains("bench-encoder: --device cuda: cuda is not usable here: "), printed);
    }

    /** These cases are about a machine where cuda cannot run; on a GPU machine the cuda module's own tests cover the device. */
    private static void assumeNoUsableGpu() {
        Optional<String> why = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.device().equals("cuda")).findFirst().flatMap(BackendProvider::unavailableReason);
        assumeTrue(why.isPresent(), "skipped: a usable cuda device is present, so 'cuda requested where it cannot run' cannot happen here");
    }
}
