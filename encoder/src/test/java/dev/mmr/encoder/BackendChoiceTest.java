package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.cpu.CpuBackendProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which backend a {@code --device} request gets, and the reasons given when a device is not usable. */
class BackendChoiceTest {

    @Test
    void autoFallsBackToTheCpuHereAndPrintsWhyCudaWasPassedOver() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (MatMambaModel model = MatMambaModel.load(TestPaths.goldenTiny(), Device.AUTO, Precision.FP32)) {
            assertTrue(model.device().startsWith("cpu (auto: cuda not usable: no cuda backend on the class path"), model.device());
            assertEquals(127, model.preferredBatch(), "8192 product rows of 65 tokens");
            assertEquals(1, model.concurrency());
        } finally {
            System.setErr(err);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("encoder device: cpu (auto: cuda not usable: no cuda backend on the class path"), printed);
    }

    @Test
    void cudaRequestedWhereItCannotRunIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatMambaModel.load(TestPaths.goldenTiny(), Device.CUDA, Precision.FP32));
        assertTrue(e.getMessage().startsWith("--device cuda: no cuda backend on the class path"), e.getMessage());
    }

    @Test
    void aPresentButUnusableCudaProviderIsPassedOverOrRefusedWithItsReason() {
        BackendProvider cpu = new CpuBackendProvider();
        Map<String, BackendProvider> providers = Map.of("cpu", cpu, "cuda", new Unusable("no CUDA 13 driver (libcuda.so.1 not found)"));
        BackendChoice auto = BackendChoice.choose(Device.AUTO, providers);
        assertSame(cpu, auto.provider());
        assertEquals("cpu (auto: cuda not usable: no CUDA 13 driver (libcuda.so.1 not found))", auto.describe());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendChoice.choose(Device.CUDA, providers));
        assertEquals("--device cuda: cuda is not usable here: no CUDA 13 driver (libcuda.so.1 not found)", e.getMessage());
    }

    @Test
    void aProviderWhoseNativeLibraryFailsToLoadIsUnusableNamingTheError() {
        BackendProvider broken = new Unusable(null);
        BackendChoice auto = BackendChoice.choose(Device.AUTO, Map.of("cpu", new CpuBackendProvider(), "cuda", broken));
        assertTrue(auto.reason().contains("UnsatisfiedLinkError: no jnicudart"), auto.reason());
    }

    @Test
    void theCpuRefusesTensorCorePrecisionsByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatMambaModel.load(TestPaths.goldenTiny(), Device.CPU, Precision.BF16));
        assertEquals("the cpu backend computes in fp32 only; precision bf16 needs --device cuda", e.getMessage());
    }

    @Test
    void deviceNamesParseInAnyCaseAndUnknownOnesAreListed() {
        assertEquals(Device.CUDA, Device.parse("CUDA"));
        assertEquals(Device.AUTO, Device.parse(" auto "));
        assertEquals("unknown device 'gpu' (known: cpu, cuda, auto)",
                assertThrows(IllegalArgumentException.class, () -> Device.parse("gpu")).getMessage());
    }

    /** A cuda provider as it reports itself on a machine without a usable GPU: a reason, or a native library that fails. */
    private record Unusable(String reason) implements BackendProvider {
        @Override public String device() {
            return "cuda";
        }

        @Override public Optional<String> unavailableReason() {
            if (reason == null) {
                throw new UnsatisfiedLinkError("no jnicudart in java.library.path");
            }
            return Optional.of(reason);
        }

        @Override public EncoderBackend open(ModelConfig config, WeightSource weights, Precision precision) {
            throw new AssertionError("an unusable device is never opened");
        }
    }
}
