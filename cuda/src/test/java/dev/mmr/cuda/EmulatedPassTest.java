package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.SafeTensors;
import dev.mmr.encoder.Tensor;
import dev.mmr.encoder.WeightSource;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cuda backend's forward pass without a GPU: the plan ({@link PassPlan}) over the weights' layout
 * ({@link DeviceWeights}) with the kernels' own CUDA C and cuBLAS's products, run by the {@link Emulator}, against the
 * references the GPU tests use (golden vectors: every level and both Mix'n'Match cases; the shipped CIFAR-10 model's
 * PyTorch outputs) at their tolerances, with the scan in each {@link ScanForm}; the recurrent scan's specialisations
 * (state rows per lane, channels per warp, the plain and the scattered reduction) against each other, and the
 * tensor form against the recurrence, at the released models' widths; and the emulator's own check on a launch that writes
 * past its buffer. Skipped, saying why, where the emulator cannot be built (x86-64 Linux and g++).
 */
class EmulatedPassTest {
    private static final int HOPPER = 90;
    private static final Map<KernelBuild, Emulator> EMULATORS = new HashMap<>();

    @TempDir
    static Path work;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.mmr.cuda.GpuTests#goldenCases")
    void reproducesGoldenFeaturesAndLogits(Precision precision, String name, int[] widths) throws Exception {
        assumeEmulator("EmulatedPassTest golden " + precision + " " + name);
        ModelConfig config = GpuTests.config("golden-tiny");
        assertGolden(KernelBuild.of(config, HOPPER, precision), precision, ScanForm.RECURRENT, name, widths,
                GpuTests.tolerance(precision));
    }

    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("dev.mmr.cuda.GpuTests#chunkGoldenCases")
    void chunkScanReproducesGoldenFeaturesAndLogits(Precision precision, String name, int[] widths, ScanForm scan)
            throws Exception {
        assumeEmulator("EmulatedPassTest golden " + scan.label() + " " + precision + " " + name);
        ModelConfig config = GpuTests.config("golden-tiny");
        assertGolden(KernelBuild.of(config, HOPPER, precision), precision, scan, name, widths,
                GpuTests.tolerance(precision));
    }

    /**
     * Scan builds other than the one the golden model gets (N 64 in one lane): its state split over 2 and 4 lanes, and
     * padded to 68 rows (the rows past N stay zero).
     */
    static Stream<Arguments> goldenScanBuilds() {
        return Stream.of(Arguments.of(2, 32), Arguments.of(4, 16), Arguments.of(1, 68));
    }

    @ParameterizedTest(name = "state split over {0} lanes of {1} rows")
    @MethodSource("goldenScanBuilds")
    void everyScanSpecialisationReproducesTheGoldenVectors(int split, int statePerLane) throws Exception {
        assumeEmulator("EmulatedPassTest golden scan build " + split + "/" + statePerLane);
        KernelBuild build = new KernelBuild(HOPPER, 64, 4, split, statePerLane, false, KernelBuild.xCopy(64, 4, false),
                false);
        assertGolden(build, Precision.FP32, ScanForm.RECURRENT, "level1", GpuTests.uniform(4, 128), 1e-4);
        assertGolden(build, Precision.FP32, ScanForm.RECURRENT, "mix1", new int[] {16, 32, 64, 128}, 1e-4);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.mmr.cuda.CudaReferenceTest#cases")
    void matchesTheShippedCifarModelsPyTorchOutputsAtEveryLevel(ScanForm scan, Precision precision) throws Exception {
        assumeEmulator("EmulatedPassTest cifar10 " + scan.label() + " " + precision);
        Map<String, Tensor> reference = SafeTensors.read(GpuTests.testResource("reference/cifar10.safetensors"));
        Tensor input = reference.get("input");
        int images = (int) input.shape()[0];
        Checkpoint checkpoint = Checkpoint.read(GpuTests.home().resolve("models/cifar10"));
        ModelConfig config = checkpoint.config();
        for (int level : new int[] {1, 2, 4, 8}) {
            int[] widths = GpuTests.uniform(config.nLayer(), config.dModel() / level);
            NetworkOutput out = forward(config, name -> checkpoint.tensor(name).data(), precision,
                    KernelBuild.of(config, HOPPER, precision), scan, input.data(), images, widths);
            assertClose("cifar10 " + scan.label() + " " + precision + " level " + level, out,
                    reference.get("features.level" + level).data(),
                    reference.get("logits.level" + level).data(), GpuTests.tolerance(precision));
        }
    }

    /**
     * Wider shapes on random weights, uniform and Mix'n'Match, each scan build against the same model with each
     * channel's state split over more lanes: the released 35M width (N 128 over 2 lanes; headdim 16), headdim 24 (heads
     * straddle warps) and N 22 (rows padded to 24).
     */
    static Stream<Arguments> wideShapes() {
        return Stream.of(Arguments.of(512, 128, new int[] {512, 64}), Arguments.of(768, 128, new int[] {96, 768}),
                Arguments.of(256, 22, new int[] {256, 32}));
    }

    @ParameterizedTest(name = "d_model {0}, N {1}")
    @MethodSource("wideShapes")
    void scanSpecialisationsOfWiderShapesAgree(int dModel, int dState, int[] widths) throws Exception {
        assumeEmulator("EmulatedPassTest d_model " + dModel + " N " + dState);
        ModelConfig config = new ModelConfig(dModel, widths.length, 1000, 16, 64, dState, 4, 2, 1e-5);
        KernelBuild released = KernelBuild.of(config, HOPPER, Precision.FP32);
        int split = released.stateSplit() * 4;
        KernelBuild plain = new KernelBuild(HOPPER, dState, 4, split, KernelBuild.statePerLane(dState, split), false,
                released.xCopy(), released.tilesWithinHeads());
        WeightSource weights = BenchmarkModels.randomWeights(config);
        int batch = 2;
        float[] pixels = GpuTests.randomPixels(config, batch);
        ScanForm recurrent = ScanForm.RECURRENT;
        NetworkOutput expected = forward(config, weights, Precision.FP32, plain, recurrent, pixels, batch, widths);
        NetworkOutput actual = forward(config, weights, Precision.FP32, released, recurrent, pixels, batch, widths);
        assertClose("d_model " + dModel + " N " + dState + ", state over " + released.stateSplit() + " lanes (against "
                + split + ")", actual,
                expected.features(), expected.logits(), 1e-5);
    }

    /**
     * The wider shapes (heads of 16 channels in warps of 16, heads of 24 straddling warps of 16: the sums of squares
     * are per warp of channels, not per head; and N 22) at 144px, N 1024, where a scan warp carries 2 channels, and
     * heads of 2 channels at a width of 33 (66 channels: rows of activations not a multiple of 4, so not 8-byte
     * aligned).
     */
    static Stream<Arguments> chunkShapes() {
        return Stream.concat(wideShapes(), Stream.of(Arguments.of(128, 1024, new int[] {128, 32}),
                Arguments.of(64, 16, new int[] {64, 33})));
    }

    /**
     * The tensor form against the recurrence in the same precision (tf32, bf16: the products' inputs round, so within
     * the 1e-2) on those shapes: 82 tokens in 6 spans of 16, the last partly past them; heads of 16
     * and 24 channels (n-tiles of 8 inside one head, groups of 64 channels straddled by heads), N 22 and N 1024 (a
     * scan warp's 2 channels, so lanes of one n-tile write separate sums of squares). Heads of 4 channels, 2 an
     * n-tile, come with the golden model.
     */
    static Stream<Arguments> tensorShapes() {
        return chunkShapes().flatMap(a -> Stream.of(Precision.TF32, Precision.BF16)
                .map(p -> Arguments.of(a.get()[0], a.get()[1], a.get()[2], p)));
    }

    @ParameterizedTest(name = "d_model {0}, N {1}, {3}")
    @MethodSource("tensorShapes")
    void tensorScanAgreesWithTheRecurrenceOnWiderShapes(int dModel, int dState, int[] widths, Precision precision)
            throws Exception {
        assertAgreesWithTheRecurrence(ScanForm.TENSOR, precision, 144, dModel, dState, widths, 1e-2);
    }

    private static void assertAgreesWithTheRecurrence(ScanForm scan, int imageSize, int dModel, int dState, int[] widths)
            throws Exception {
        assertAgreesWithTheRecurrence(scan, Precision.FP32, imageSize, dModel, dState, widths, 1e-5);
    }

    private static void assertAgreesWithTheRecurrence(ScanForm scan, Precision precision, int imageSize, int dModel,
                                                      int dState, int[] widths, double tolerance) throws Exception {
        assertAgreesWithTheRecurrence(scan, precision, imageSize, dModel, dState, widths, tolerance, 0f);
    }

    /**
     * The bf16 tensor scan (heads of 16 channels: whole n-tiles, so the diagonal span goes through its packed B where
     * the span's decay allows) against the recurrence with every head's A_log moved by {@code shift}: the random
     * weights' steps of 0.001 to 0.1 (the authors' initialisation) and |A| of 1 to 16 decay by at most about 26 over a
     * span of 16 tokens, as trained heads do; shifted by -3 (|A| 0.05 to 0.8) every span takes the packed form, by +3
     * (|A| 20 to 320, decays up to about 500) about a third of the heads take the per-element one (both checked from
     * the weights first: GpuTests.assertDiagonalFormsReached). Mutations: the limit lifted, the +3 case turns NaN;
     * mu_i left out, both fail.
     */
    @ParameterizedTest(name = "A_log shifted by {0}")
    @ValueSource(floats = {-3f, 3f})
    void tensorScanAgreesWithTheRecurrenceWhereHeadsDecaySlowlyOrFast(float shift) throws Exception {
        assertAgreesWithTheRecurrence(ScanForm.TENSOR, Precision.BF16, 144, 512, 128, new int[] {512, 256}, 1e-2, shift);
    }

    private static void assertAgreesWithTheRecurrence(ScanForm scan, Precision precision, int imageSize, int dModel,
                                                      int dState, int[] widths, double tolerance, float aLogShift)
            throws Exception {
        assumeEmulator("EmulatedPassTest " + scan.label() + " " + precision + " d_model " + dModel + " N " + dState
                + (aLogShift == 0 ? "" : " A_log shifted by " + aLogShift));
        ModelConfig config = new ModelConfig(dModel, widths.length, 1000, 16, imageSize, dState, 4, 2, 1e-5);
        KernelBuild build = KernelBuild.of(config, HOPPER, precision);
        WeightSource weights = GpuTests.randomWeightsWithALogShifted(config, aLogShift);
        if (aLogShift != 0) {
            GpuTests.assertDiagonalFormsReached(config, weights, aLogShift);
        }
        int batch = 2;
        float[] pixels = GpuTests.randomPixels(config, batch);
        NetworkOutput expected = forward(config, weights, precision, build, ScanForm.RECURRENT, pixels, batch, widths);
        NetworkOutput actual = forward(config, weights, precision, build, scan, pixels, batch, widths);
        assertClose("d_model " + dModel + " N " + dState + ", " + config.nTokens() + " tokens, " + scan.label()
                + " scan " + precision + (aLogShift == 0 ? "" : ", A_log shifted by " + aLogShift)
                + " (against the recurrence)", actual, expected.features(), expected.logits(), tolerance);
    }

    /**
     * The order in which a block's threads run between barriers is no promise on a GPU: resumed in two shuffled orders,
     * the pass must give the same bits as in index order (a kernel reading shared memory before the barrier that
     * publishes it, or writing it while others read, would not), at the released width's two-lane state split, for
     * each scan form (all stage in shared memory; the tensor form in bf16 runs its own kernel).
     */
    @ParameterizedTest(name = "{0} scan")
    @EnumSource(ScanForm.class)
    void resultsDoNotDependOnTheOrderABlocksThreadsRun(ScanForm scan) throws Exception {
        assumeEmulator("EmulatedPassTest thread order, " + scan.label() + " scan");
        ModelConfig config = new ModelConfig(512, 2, 1000, 16, 64, 128, 4, 2, 1e-5);
        KernelBuild build = KernelBuild.of(config, HOPPER, Precision.BF16);
        WeightSource weights = BenchmarkModels.randomWeights(config);
        float[] pixels = GpuTests.randomPixels(config, 2);
        int[] widths = {512, 128};
        NetworkOutput inOrder = forward(config, weights, Precision.BF16, build, scan, pixels, 2, widths);
        for (float v : inOrder.features()) {
            assertTrue(Float.isFinite(v), "features in index order: " + v);
        }
        for (long seed : new long[] {1, 0x9E3779B97F4A7C15L}) {
            NetworkOutput shuffled = forward(config, weights, Precision.BF16, build, scan, pixels, 2, widths, seed);
            assertArrayEquals(inOrder.features(), shuffled.features(), "features, schedule seed " + seed);
            assertArrayEquals(inOrder.logits(), shuffled.logits(), "logits, schedule seed " + seed);
        }
    }

    @Test
    void aLaunchThatWritesPastItsBufferIsStoppedNamingTheStep() throws Exception {
        assumeEmulator("EmulatedPassTest fault");
        Emulator emulator = emulator(KernelBuild.of(GpuTests.config("golden-tiny"), HOPPER, Precision.FP32));
        EmulatedMemory memory = new EmulatedMemory();
        long matrix = memory.allocate(19 * 10 * Float.BYTES, "a 19 x 10 matrix");
        long bias = memory.allocate(10 * Float.BYTES, "a bias");
        memory.upload(matrix, new float[19 * 10]);
        memory.upload(bias, new float[10]);
        List<PassPlan.Step> steps = List.of(new PassPlan.Launch(Kernel.ADD_BIAS, LaunchGeometry.perElement(20 * 10),
                List.of(PassPlan.Arg.ptr(matrix), PassPlan.Arg.ptr(bias), PassPlan.Arg.i32(20), PassPlan.Arg.i32(10))));
        Emulator.EmulatorException e = assertThrows(Emulator.EmulatorException.class,
                () -> emulator.run(memory, steps, Precision.FP32, List.of(new Emulator.Output(matrix, 19 * 10)), 0));
        System.out.println("emulator stopped the overflowing launch: " + e.getMessage());
        assertTrue(e.getMessage().contains("step 0, kernel add_bias") && e.getMessage().contains("past the end"),
                e.getMessage());
    }

    @Test
    void aTensorScanGivenLessSharedMemoryThanItLaysOutIsStopped() throws Exception {
        assumeEmulator("EmulatedPassTest shared memory fault");
        Map<String, Tensor> golden = SafeTensors.read(GpuTests.testResource("golden/golden_a.io.safetensors"));
        Checkpoint checkpoint = Checkpoint.read(GpuTests.home().resolve("models/golden-tiny"));
        ModelConfig config = checkpoint.config();
        // the tensor scan's launches given 64 bytes less than LaunchGeometry sizes
        UnaryOperator<List<PassPlan.Step>> shortOfShared = steps -> steps.stream().map(step ->
                step instanceof PassPlan.Launch l && l.kernel() == Kernel.SSD_TENSOR
                        ? (PassPlan.Step) new PassPlan.Launch(l.kernel(), new LaunchGeometry(l.geometry().grid(),
                                l.geometry().block(), l.geometry().shared() - 64), l.args())
                        : step).toList();
        Emulator.EmulatorException e = assertThrows(Emulator.EmulatorException.class, () -> forward(config,
                name -> checkpoint.tensor(name).data(), Precision.BF16, KernelBuild.of(config, HOPPER, Precision.BF16),
                ScanForm.TENSOR, Arrays.copyOf(golden.get("input").data(), 3 * config.imageSize() * config.imageSize()), 1,
                GpuTests.uniform(config.nLayer(), config.dModel()), 0,
                shortOfShared));
        System.out.println("emulator stopped the tensor scan short of shared memory: " + e.getMessage());
        assertTrue(e.getMessage().contains("kernel ssd_tensor") && e.getMessage().contains("of shared memory"),
                e.getMessage());
    }

    private static void assertGolden(KernelBuild build, Precision precision, ScanForm scan, String name, int[] widths,
                                     double tolerance) throws Exception {
        Map<String, Tensor> golden = SafeTensors.read(GpuTests.testResource("golden/golden_a.io.safetensors"));
        Tensor input = golden.get("input");
        Checkpoint checkpoint = Checkpoint.read(GpuTests.home().resolve("models/golden-tiny"));
        NetworkOutput out = forward(checkpoint.config(), n -> checkpoint.tensor(n).data(), precision, build, scan,
                input.data(), (int) input.shape()[0], widths);
        assertClose("golden " + scan.label() + " " + precision + " " + name + " (" + emulator(build) + ")", out,
                golden.get("features." + name).data(), golden.get("logits." + name).data(), tolerance);
    }

    private static NetworkOutput forward(ModelConfig config, WeightSource source, Precision precision, KernelBuild build,
                                         ScanForm scan, float[] pixels, int batch, int[] widths) throws Exception {
        return forward(config, source, precision, build, scan, pixels, batch, widths, 0);
    }

    private static NetworkOutput forward(ModelConfig config, WeightSource source, Precision precision, KernelBuild build,
                                         ScanForm scan, float[] pixels, int batch, int[] widths, long scheduleSeed)
            throws Exception {
        return forward(config, source, precision, build, scan, pixels, batch, widths, scheduleSeed, UnaryOperator.identity());
    }

    private static NetworkOutput forward(ModelConfig config, WeightSource source, Precision precision, KernelBuild build,
                                         ScanForm scan, float[] pixels, int batch, int[] widths, long scheduleSeed,
                                         UnaryOperator<List<PassPlan.Step>> edit) throws Exception {
        EmulatedMemory memory = new EmulatedMemory();
        try (DeviceWeights weights = new DeviceWeights(config, source, precision == Precision.BF16, memory)) {
            return emulator(build).forward(config, memory, weights.addresses(), precision, scan, pixels, batch, widths,
                    scheduleSeed, edit);
        }
    }

    private static void assertClose(String what, NetworkOutput out, float[] features, float[] logits, double tolerance) {
        double featureError = GpuTests.relativeL2(out.features(), features);
        double logitError = GpuTests.relativeL2(out.logits(), logits);
        System.out.printf("emulated %s: relative L2 features %.3g, logits %.3g%n", what, featureError, logitError);
        assertTrue(featureError < tolerance, what + " features: relative L2 " + featureError);
        assertTrue(logitError < tolerance, what + " logits: relative L2 " + logitError);
    }

    private static synchronized Emulator emulator(KernelBuild build) throws Exception {
        Emulator emulator = EMULATORS.get(build);
        if (emulator == null) {
            emulator = Emulator.compile(build, work.resolve("build" + EMULATORS.size()));
            EMULATORS.put(build, emulator);
        }
        return emulator;
    }

    private static void assumeEmulator(String test) {
        String reason = Emulator.unavailableReason().orElse(null);
        if (reason != null) {
            System.out.println(test + " skipped: " + reason);
        }
        Assumptions.assumeTrue(reason == null, () -> "the emulator cannot run here: " + reason);
    }
}
