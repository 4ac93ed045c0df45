package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.BackendProvider;
import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.CheckpointException;
import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.provider.Arguments;

/**
 * What the GPU tests share: the skip (with its reason printed) where no usable GPU is present, the test data (under
 * the project root, or {@code -Dmmr.home} where a GPU run unpacked it), opening a model through the seam's lookup, and
 * the random inputs they share with the emulator's tests.
 */
final class GpuTests {
    /** golden-tiny's layers and d_model. */
    static final int GOLDEN_LAYERS = 4;
    static final int GOLDEN_D = 128;

    private GpuTests() {
    }

    /** Skips the calling test, printing why, unless a usable GPU and the CUDA 13 libraries are present. */
    static void assumeGpu(String test) {
        String reason = new CudaProvider().unavailableReason().orElse(null);
        if (reason != null) {
            System.out.println(test + " skipped: no usable GPU: " + reason);
        }
        Assumptions.assumeTrue(reason == null, () -> "no usable GPU: " + reason);
    }

    /** The directory holding {@code models/} and {@code encoder/src/test/resources/}. */
    static Path home() {
        String configured = System.getProperty("mmr.home");
        if (configured != null) {
            return Paths.get(configured);
        }
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models/golden-tiny"))) {
                return p;
            }
        }
        throw new IllegalStateException("no directory holding models/golden-tiny above " + Paths.get("").toAbsolutePath());
    }

    static Path testResource(String name) {
        return home().resolve("encoder/src/test/resources").resolve(name);
    }

    /**
     * Opens the model in {@code models/<name>} on the cuda backend, found through its service registration (only the
     * cuda provider is instantiated: the CPU backend's ND4J is not on this module's classpath).
     */
    static EncoderBackend open(String model, Precision precision) throws CheckpointException {
        Checkpoint checkpoint = Checkpoint.read(home().resolve("models").resolve(model));
        BackendProvider cuda = ServiceLoader.load(BackendProvider.class).stream()
                .filter(p -> p.type() == CudaProvider.class).map(ServiceLoader.Provider::get).findFirst().orElseThrow();
        return cuda.open(checkpoint.config(), name -> checkpoint.tensor(name).data(), precision);
    }

    /**
     * The model in {@code models/<name>} on a cuda backend whose scan runs in form {@code scan} (built directly: the
     * seam's lookup opens the default form).
     */
    static EncoderBackend open(String model, Precision precision, ScanForm scan) throws CheckpointException {
        Checkpoint checkpoint = Checkpoint.read(home().resolve("models").resolve(model));
        return new CudaBackend(checkpoint.config(), name -> checkpoint.tensor(name).data(), precision, scan);
    }

    /**
     * {@link #goldenCases()} with the tensor and auto scans: (precision, name, widths, form), in tf32 and bf16 (in fp32
     * they run the recurrence; auto gives the golden model's 256-channel layers the tensor scan and its narrower ones
     * the recurrence, both within a Mix'n'Match pass).
     */
    static Stream<Arguments> chunkGoldenCases() {
        return Stream.of(ScanForm.TENSOR, ScanForm.AUTO).flatMap(scan -> goldenCases()
                .filter(a -> scan.in((Precision) a.get()[0]) == scan)
                .map(a -> Arguments.of(a.get()[0], a.get()[1], a.get()[2], scan)));
    }

    /** The golden vectors' cases (golden-tiny): each precision at every uniform level and both Mix'n'Match widths. */
    static Stream<Arguments> goldenCases() {
        List<Arguments> cases = new ArrayList<>();
        Map<String, int[]> widths = Map.of("level1", uniform(GOLDEN_LAYERS, GOLDEN_D), "level2", uniform(GOLDEN_LAYERS, GOLDEN_D / 2),
                "level4", uniform(GOLDEN_LAYERS, GOLDEN_D / 4), "level8", uniform(GOLDEN_LAYERS, GOLDEN_D / 8),
                "mix0", new int[] {128, 64, 32, 16}, "mix1", new int[] {16, 32, 64, 128});
        for (Precision p : Precision.values()) {
            for (String name : List.of("level1", "level2", "level4", "level8", "mix0", "mix1")) {
                cases.add(Arguments.of(p, name, widths.get(name)));
            }
        }
        return cases.stream();
    }

    /** The configuration of the model in {@code models/<name>}. */
    static ModelConfig config(String model) throws CheckpointException {
        return Checkpoint.read(home().resolve("models").resolve(model)).config();
    }

    /** Tolerance of the parity targets: 1e-4 relative L2 in fp32, 1e-2 where products round (tf32, bf16). */
    static double tolerance(Precision precision) {
        return precision == Precision.FP32 ? 1e-4 : 1e-2;
    }

    /** The benchmark's random weights with every head's A_log moved by {@code shift} (its decays scaled by e^shift). */
    static WeightSource randomWeightsWithALogShifted(ModelConfig config, float shift) {
        WeightSource random = BenchmarkModels.randomWeights(config);
        return name -> {
            float[] data = random.tensor(name);
            if (name.endsWith("A_log")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] += shift;
                }
            }
            return data;
        };
    }

    /**
     * That random weights whose A_log is moved by {@code shift} reach the tensor scan's diagonal forms a test of both
     * means them to: by a negative shift the packed form alone (no head past the limit), by a positive one the
     * per-element form too, for some heads but not most. Heads are counted by the step their bias gives; a token's
     * own step adds its input's term.
     */
    static void assertDiagonalFormsReached(ModelConfig config, WeightSource weights, float shift) {
        double limit = diagonalDecay();
        double fast = shareOfHeadsDecayingPast(config, weights, limit);
        System.out.printf("A_log shifted by %s: %.0f%% of the heads decay by more than e^-%.0f over 16 tokens%n", shift,
                100 * fast, limit);
        if (shift < 0) {
            assertEquals(0, fast, "A_log shifted by " + shift + ": the share of heads that decay fast");
        } else {
            assertTrue(fast > 0.1 && fast < 0.6, "A_log shifted by " + shift + ": " + fast + " of the heads decay fast");
        }
    }

    /** mixer.cu's MMR_DIAGONAL_DECAY: past this log decay over a span a head takes the per-element diagonal form. */
    private static double diagonalDecay() {
        Matcher m = Pattern.compile("#define MMR_DIAGONAL_DECAY ([0-9.]+)f").matcher(KernelBuild.source("mixer.cu"));
        if (!m.find()) {
            throw new IllegalStateException("mixer.cu defines no MMR_DIAGONAL_DECAY");
        }
        return Double.parseDouble(m.group(1));
    }

    /**
     * The share of the model's heads whose log decay over a span of 16 tokens exceeds {@code limit} at the step their
     * bias gives, {@code 16 softplus(dt_bias) exp(A_log)}.
     */
    private static double shareOfHeadsDecayingPast(ModelConfig config, WeightSource weights, double limit) {
        int fast = 0;
        int all = 0;
        for (int layer = 0; layer < config.nLayer(); layer++) {
            float[] aLog = weights.tensor("layers." + layer + ".mixer.A_log");
            float[] dtBias = weights.tensor("layers." + layer + ".mixer.dt_bias");
            for (int h = 0; h < aLog.length; h++) {
                double step = Math.log1p(Math.exp(dtBias[h]));
                fast += 16 * step * Math.exp(aLog[h]) > limit ? 1 : 0;
                all++;
            }
        }
        return (double) fast / all;
    }

    /** {@code batch} images of unit Gaussian pixels, the same on every call. */
    static float[] randomPixels(ModelConfig config, int batch) {
        SplittableRandom random = new SplittableRandom(7);
        float[] pixels = new float[batch * 3 * config.imageSize() * config.imageSize()];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextGaussian();
        }
        return pixels;
    }

    static int[] uniform(int layers, int width) {
        int[] widths = new int[layers];
        Arrays.fill(widths, width);
        return widths;
    }

    static double relativeL2(float[] actual, float[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < actual.length; i++) {
            double diff = actual[i] - expected[i];
            num += diff * diff;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }
}
