package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forward pass's plan over a fake address space: every launch passes the kinds of arguments its kernel's source
 * declares, every pointer lands in a weight or workspace buffer, and every product (each of a batched product's
 * too) reads and writes only inside its operands' buffers, for uniform and Mix'n'Match widths in fp32 and bf16, with
 * the scan in either form.
 */
class PassPlanTest {
    private static final ModelConfig GOLDEN = new ModelConfig(128, 4, 10, 4, 32, 64, 4, 2, 1e-5);
    private static final ModelConfig M35 = new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5);
    private static final ModelConfig M135 = new ModelConfig(768, 2, 1000, 16, 224, 128, 4, 2, 1e-5);
    private static final long WORKSPACE = 1L << 40;
    private static final KernelBuild BF16_GOLDEN = KernelBuild.of(GOLDEN, 90, Precision.BF16);

    private record Region(String name, long start, long bytes) {
        boolean holds(long from, long length) {
            return from >= start && from + length <= start + bytes;
        }
    }

    static Stream<Arguments> plans() {
        List<Arguments> plans = new ArrayList<>();
        for (ScanForm scan : ScanForm.values()) {
            plans.addAll(List.of(
                    Arguments.of(GOLDEN, Precision.FP32, scan, 3, new int[] {128, 128, 128, 128}),
                    Arguments.of(GOLDEN, Precision.BF16, scan, 3, new int[] {16, 16, 16, 16}),
                    Arguments.of(GOLDEN, Precision.FP32, scan, 1, new int[] {16, 32, 64, 128}),
                    Arguments.of(GOLDEN, Precision.BF16, scan, 2, new int[] {128, 64, 32, 16}),
                    Arguments.of(M35, Precision.BF16, scan, 2, uniform(20, 64)),
                    Arguments.of(M35, Precision.TF32, scan, 2, uniform(20, 512)),
                    Arguments.of(M135, Precision.FP32, scan, 2, new int[] {768, 96}),
                    // a large batch: 1025 images
                    Arguments.of(GOLDEN, Precision.TF32, scan, 1025, new int[] {128, 128, 64, 16})));
        }
        return plans.stream();
    }

    @ParameterizedTest(name = "d_model {0}, {1}, {2} scan, batch {3}")
    @MethodSource("plans")
    void launchesAndProductsStayInsideTheirBuffers(ModelConfig c, Precision precision, ScanForm scan, int batch,
                                                   int[] widths) {
        KernelBuild build = KernelBuild.of(c, 90, precision);
        int act = build.actBytes();
        List<Region> regions = new ArrayList<>();
        WeightAddresses w = fakeWeights(c, act, regions);
        WorkspaceLayout layout = new WorkspaceLayout(c, build, batch, scan);
        for (Buffer b : layout.buffers()) {
            regions.add(new Region(b.name(), WORKSPACE + layout.offset(b), layout.bytes(b)));
        }
        List<PassPlan.Step> steps = PassPlan.of(c, build, scan, w, b -> WORKSPACE + layout.offset(b), batch, widths);
        int expected = 6;
        for (int width : widths) {
            expected += switch (scan.forLayer(c.expand() * width, c.nTokens(), c.headdim(), build.bf16())) {
                case RECURRENT -> 5;
                case TENSOR -> 6;
                case AUTO -> throw new AssertionError("forLayer resolves AUTO");
            };
        }
        assertEquals(expected, steps.size());
        PassPlan.BatchedProduct cb = null;
        PassPlan.Launch conv = null;
        for (PassPlan.Step step : steps) {
            switch (step) {
                case PassPlan.Launch l -> {
                    String kinds = l.args().stream().map(a -> String.valueOf(a.kind())).reduce("", String::concat);
                    assertEquals(KernelSignature.of(l.kernel()), kinds, l.kernel().symbol);
                    if (l.kernel() == Kernel.SSD_TENSOR) {  // reads the CB just written, rows as far apart
                        assertTrue(cb != null, "ssd_tensor before any CB");
                        assertEquals(cb.c(), l.args().get(2).value(), "ssd_tensor's CB");
                        assertEquals(cb.gemm().ldc(), l.args().get(3).value(), "ssd_tensor's cbStride");
                        assertEquals(cb.strideC(), cb.gemm().n() * l.args().get(3).value(), "CB's images");
                        // and the steps conv_bc_dt just wrote, with the A it took
                        assertTrue(conv != null, "ssd_tensor before any conv_bc_dt");
                        assertEquals(conv.args().get(3), l.args().get(4), "ssd_tensor's steps");
                        assertEquals(conv.args().get(8), l.args().get(5), "ssd_tensor's A");
                    }
                    if (l.kernel() == Kernel.CONV_BC_DT) {
                        conv = l;
                    }
                    for (PassPlan.Arg a : l.args()) {
                        if (a.kind() == 'p') {
                            assertTrue(regions.stream().anyMatch(r -> r.holds(a.value(), 1)),
                                    l.kernel().symbol + " pointer outside every buffer");
                        }
                    }
                }
                case PassPlan.Product p -> checkProduct(p, act, regions);
                case PassPlan.BatchedProduct p -> {
                    checkBatchedProduct(p, regions);
                    cb = p;
                }
            }
        }
    }

    /**
     * In bf16 mode in_proj's product writes bfloat16, which conv_bc_dt and the scans read as act_t; every other product
     * writes float32 (patch embedding, out_proj and the head, whose outputs float32 kernels read).
     */
    @Test
    void onlyInProjsProductWritesTheActivationType() {
        WorkspaceLayout layout = new WorkspaceLayout(GOLDEN, BF16_GOLDEN, 2, ScanForm.AUTO);
        List<PassPlan.Step> steps = mixedWidthsPlan(layout);
        List<PassPlan.Product> products = steps.stream().filter(s -> s instanceof PassPlan.Product)
                .map(s -> (PassPlan.Product) s).toList();
        long inProj = WORKSPACE + layout.offset(Buffer.IN_PROJ);
        assertEquals(4, products.stream().filter(p -> p.c() == inProj).count(), "one in_proj product a layer");
        for (PassPlan.Product p : products) {
            assertEquals(p.c() == inProj, p.bf16Output(Precision.BF16), "bfloat16 output of the product into " + p.c());
            assertFalse(p.bf16Output(Precision.TF32), "no bfloat16 output outside bf16 mode");
        }
    }

    /**
     * Each product is named by the weight it multiplies (the benchmark's per-step times go by these names): the patch
     * embedding first, in_proj and out_proj once a layer each, the head last, and nothing else.
     */
    @Test
    void productsAreNamedByTheirWeights() {
        WorkspaceLayout layout = new WorkspaceLayout(GOLDEN, BF16_GOLDEN, 2, ScanForm.AUTO);
        List<String> roles = mixedWidthsPlan(layout).stream().filter(s -> s instanceof PassPlan.Product)
                .map(s -> ((PassPlan.Product) s).role()).toList();
        List<String> expected = new ArrayList<>(List.of("patch"));
        for (int layer = 0; layer < GOLDEN.nLayer(); layer++) {
            expected.addAll(List.of("in_proj", "out_proj"));
        }
        expected.add("head");
        assertEquals(expected, roles);
    }

    /**
     * The auto form picks each layer's scan by its inner width: the tensor scan from 128 channels, the recurrence
     * below, within one Mix'n'Match pass; in fp32 mode the recurrence everywhere; and the recurrence where an image's
     * tokens do not fit the tensor scan's shared memory.
     */
    @Test
    void autoChoosesEachLayersScanByItsWidth() {
        List<PassPlan.Step> steps = mixedWidthsPlan(new WorkspaceLayout(GOLDEN, BF16_GOLDEN, 2, ScanForm.AUTO));
        List<Kernel> scans = steps.stream().filter(s -> s instanceof PassPlan.Launch l
                && (l.kernel() == Kernel.SSM_SCAN || l.kernel() == Kernel.SSD_TENSOR)).map(s -> ((PassPlan.Launch) s).kernel()).toList();
        assertEquals(List.of(Kernel.SSM_SCAN, Kernel.SSD_TENSOR, Kernel.SSD_TENSOR, Kernel.SSD_TENSOR), scans,
                "layers of 32, 256, 128 and 256 channels");
        assertEquals(ScanForm.RECURRENT, ScanForm.AUTO.in(Precision.FP32));
        assertEquals(ScanForm.AUTO, ScanForm.AUTO.in(Precision.TF32));
        assertEquals(ScanForm.TENSOR, ScanForm.AUTO.forLayer(ScanForm.TENSOR_FROM_CHANNELS, 197, 32, true));
        assertEquals(ScanForm.RECURRENT, ScanForm.AUTO.forLayer(ScanForm.TENSOR_FROM_CHANNELS - 1, 197, 32, true));
        assertEquals(ScanForm.RECURRENT, ScanForm.AUTO.forLayer(2048, 4097, 32, true), "4,097 tokens do not fit the tensor scan");
        // heads of 12 channels at 197 tokens: room for the bf16 build's operands and staged z, not for the TF32 build's
        assertEquals(ScanForm.TENSOR, ScanForm.AUTO.forLayer(384, 197, 12, true));
        assertEquals(ScanForm.RECURRENT, ScanForm.AUTO.forLayer(384, 197, 12, false));
        assertEquals(ScanForm.RECURRENT, ScanForm.RECURRENT.forLayer(2048, 197, 32, true));
        assertEquals(ScanForm.TENSOR, ScanForm.TENSOR.forLayer(32, 197, 32, false));
    }

    /** The golden shape's plan in bf16 with the auto scan, two images, layers of 32, 256, 128 and 256 channels. */
    private static List<PassPlan.Step> mixedWidthsPlan(WorkspaceLayout layout) {
        return PassPlan.of(GOLDEN, BF16_GOLDEN, ScanForm.AUTO, fakeWeights(GOLDEN, BF16_GOLDEN.actBytes(), new ArrayList<>()),
                b -> WORKSPACE + layout.offset(b), 2, new int[] {16, 128, 64, 128});
    }

    /** op(A) (m x k, lda), B (k x n, ldb) and C (m x n, ldc), column-major, each within one buffer. */
    private static void checkProduct(PassPlan.Product p, int act, List<Region> regions) {
        Gemm g = p.gemm();
        int in = p.productPrecision() ? act : Float.BYTES;
        long aLast = g.aOffset() + (g.transA() ? (long) (g.m() - 1) * g.lda() + g.k() - 1 : (long) (g.k() - 1) * g.lda() + g.m() - 1);
        long bLast = (long) (g.n() - 1) * g.ldb() + g.k() - 1;
        long cLast = (long) (g.n() - 1) * g.ldc() + g.m() - 1;
        assertInside(regions, p.a(), (aLast + 1) * in, "A of " + g);
        assertInside(regions, p.b(), (bLast + 1) * in, "B of " + g);
        assertInside(regions, p.c(), (cLast + 1) * (p.activationOutput() ? act : Float.BYTES), "C of " + g);
    }

    /** Each of the {@code count} products' operands, float32, inside the buffer its first one starts in. */
    private static void checkBatchedProduct(PassPlan.BatchedProduct p, List<Region> regions) {
        Gemm g = p.gemm();
        long aExtent = g.transA() ? (long) (g.m() - 1) * g.lda() + g.k() : (long) (g.k() - 1) * g.lda() + g.m();
        long bExtent = g.transB() ? (long) (g.k() - 1) * g.ldb() + g.n() : (long) (g.n() - 1) * g.ldb() + g.k();
        long cExtent = (long) (g.n() - 1) * g.ldc() + g.m();
        long last = p.count() - 1;
        assertHeld(regions, p.a(), (last * p.strideA() + aExtent) * Float.BYTES, "A of " + p.count() + " x " + g);
        assertHeld(regions, p.b(), (last * p.strideB() + bExtent) * Float.BYTES, "B of " + p.count() + " x " + g);
        assertHeld(regions, p.c(), (last * p.strideC() + cExtent) * Float.BYTES, "C of " + p.count() + " x " + g);
        assertTrue(p.strideC() >= cExtent, "the products' outputs overlap: " + p);
        // CB, which the tensor scan reads a 16-byte word at a time, the last word of a row reaching into its padding:
        // whole rows of a multiple of 4 floats, 16-byte aligned, the last image's last row held whole.
        assertEquals(0, g.ldc() % 4, "CB's rows are not whole 16-byte words: " + p);
        assertEquals(0, p.strideC() % 4, "CB's images do not start 16-byte aligned: " + p);
        assertEquals(0, p.c() % 16, "CB does not start 16-byte aligned: " + p);
        assertHeld(regions, p.c(), (last * p.strideC() + (long) g.n() * g.ldc()) * Float.BYTES, "CB's padded rows of "
                + p.count() + " x " + g);
    }

    private static void assertHeld(List<Region> regions, long start, long bytes, String what) {
        assertTrue(regions.stream().anyMatch(r -> r.holds(start, bytes)), what + ": " + bytes + " bytes at " + start
                + " lie in no single buffer");
    }

    private static void assertInside(List<Region> regions, long start, long bytes, String what) {
        Region r = regions.stream().filter(x -> x.start() == start).findFirst().orElseThrow(() -> new AssertionError(what
                + " does not start a buffer"));
        assertTrue(r.holds(start, bytes), what + " needs " + bytes + " bytes of " + r.name() + " (" + r.bytes() + ")");
    }

    /** Each tensor a region of its size (product weights in the product precision), in the checkpoint's order. */
    private static WeightAddresses fakeWeights(ModelConfig c, int act, List<Region> regions) {
        Map<String, long[]> shapes = Checkpoint.expectedShapes(c);
        long[] next = {1L << 20};
        java.util.function.Function<String, Long> place = name -> {
            long elements = Arrays.stream(shapes.get(name)).reduce(1, Math::multiplyExact);
            boolean product = name.endsWith("proj.weight") && !name.startsWith("head");
            long bytes = elements * (product ? act : Float.BYTES);
            regions.add(new Region(name, next[0], bytes));
            long at = next[0];
            next[0] += (bytes + 255) / 256 * 256;
            return at;
        };
        WeightAddresses.Layer[] layers = new WeightAddresses.Layer[c.nLayer()];
        long patchWeight = place.apply("patch_embed.proj.weight");
        long patchBias = place.apply("patch_embed.proj.bias");
        long cls = place.apply("cls_token");
        long pos = place.apply("pos_embed");
        for (int i = 0; i < layers.length; i++) {
            String l = "layers." + i + ".";
            String m = l + "mixer.";
            layers[i] = new WeightAddresses.Layer(place.apply(l + "norm.weight"), place.apply(l + "norm.bias"),
                    place.apply(m + "in_proj.weight"), place.apply(m + "conv1d.weight"), place.apply(m + "conv1d.bias"),
                    place.apply(m + "dt_bias"), place.apply(m + "A_log"), place.apply(m + "D"),
                    place.apply(m + "out_proj.weight"));
        }
        return new WeightAddresses(patchWeight, patchBias, cls, pos, layers, place.apply("norm_f.weight"),
                place.apply("norm_f.bias"), place.apply("head.weight"), place.apply("head.bias"));
    }

    private static int[] uniform(int layers, int width) {
        int[] w = new int[layers];
        Arrays.fill(w, width);
        return w;
    }
}
