package dev.mmr.cuda;

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The steps of one forward pass (docs/model.md, "Forward pass at a nested width") in the order the CPU network runs
 * them, as kernel launches and products over device addresses: built on the host, checkable without a GPU, then
 * queued on a stream by {@link ForwardPass}.
 */
final class PassPlan {
    private static final float GATED_NORM_EPS = 1e-5f;

    /** One step: a kernel launch, a cuBLAS product or a strided batched cuBLAS product. */
    sealed interface Step permits Launch, Product, BatchedProduct {
    }

    /** A kernel launch; {@code args} in the kernel's parameter order. */
    record Launch(Kernel kernel, LaunchGeometry geometry, List<Arg> args) implements Step {
    }

    /**
     * A product {@code c = op(a) . op(b)}, named by its {@code role} (the weight's: patch, in_proj, out_proj, head):
     * {@code a} a weight, {@code b} activations. When {@code productPrecision},
     * a and b are in the product precision (float32 or bfloat16) and use its compute mode; otherwise (the classifier)
     * everything is float32. {@code c} is float32, or with {@code activationOutput} in the activations' type
     * (bfloat16 in bf16 mode: in_proj's output, which the kernels after it read as such, half the bytes to write and
     * read).
     */
    record Product(String role, Gemm gemm, long a, long b, long c, boolean productPrecision, boolean activationOutput)
            implements Step {
        /** Whether a and b are bfloat16 under {@code precision} (else float32). */
        boolean bf16Operands(Precision precision) {
            return productPrecision && precision == Precision.BF16;
        }

        /** Whether c is bfloat16 under {@code precision} (else float32). */
        boolean bf16Output(Precision precision) {
            return activationOutput && precision == Precision.BF16;
        }

        /** Whether the product runs in TF32 under {@code precision} (else float32 or bfloat16 inputs, fp32 sums). */
        boolean tf32(Precision precision) {
            return productPrecision && precision == Precision.TF32;
        }

        /** The address of A's first element: the weight's plus the nested slice's offset. */
        long aAddress(Precision precision) {
            return a + gemm.aOffset() * (bf16Operands(precision) ? Short.BYTES : Float.BYTES);
        }
    }

    /**
     * {@code count} products {@code c_i = op(a_i) . op(b_i)} over float32 operands, the i-th at {@code i * stride}
     * elements past {@code a}, {@code b} and {@code c}: the tensor scan's CB, in TF32 (the tf32 and bf16 modes, where
     * the tensor scan runs; float32 in fp32 mode).
     */
    record BatchedProduct(Gemm gemm, long a, long b, long c, long strideA, long strideB, long strideC, int count)
            implements Step {
        BatchedProduct {
            if (gemm.aOffset() != 0 || count <= 0 || strideA < 0 || strideB < 0 || strideC < 0) {
                throw new IllegalArgumentException("bad batched product of " + count + " " + gemm);
            }
        }

        /** Whether the products run in TF32 under {@code precision} (else float32). */
        boolean tf32(Precision precision) {
            return precision != Precision.FP32;
        }
    }

    /** A kernel argument: {@code p} a device address, {@code i} an int, {@code f} a float (its bits). */
    record Arg(char kind, long value) {
        static Arg ptr(long address) {
            return new Arg('p', address);
        }

        static Arg i32(int v) {
            return new Arg('i', v);
        }

        static Arg f32(float v) {
            return new Arg('f', Float.floatToRawIntBits(v));
        }
    }

    private PassPlan() {
    }

    /** The steps for {@code batch} images with width {@code widths[i]} in layer i; {@code at} gives buffer addresses. */
    static List<Step> of(ModelConfig c, KernelBuild build, ScanForm scan, WeightAddresses w, ToLongFunction<Buffer> at,
                         int batch, int[] widths) {
        List<Step> steps = new ArrayList<>();
        int d = c.dModel();
        int tokens = c.nTokens();
        int patches = c.nPatches();
        int k = 3 * c.patchSize() * c.patchSize();
        int rows = batch * tokens;
        float eps = (float) c.normEpsilon();
        steps.add(launch(Kernel.IM2COL, LaunchGeometry.perElement((long) batch * patches * k),
                Arg.ptr(at.applyAsLong(Buffer.PIXELS)), Arg.ptr(at.applyAsLong(Buffer.PATCHES)), Arg.i32(batch),
                Arg.i32(c.imageSize()), Arg.i32(c.patchSize())));
        steps.add(new Product("patch", Gemm.linear(batch * patches, d, k, 0, k), w.patchWeight(),
                at.applyAsLong(Buffer.PATCHES), at.applyAsLong(Buffer.PROJECTED), true, false));
        steps.add(launch(Kernel.EMBED_TOKENS, LaunchGeometry.perElement((long) rows * d), Arg.ptr(at.applyAsLong(Buffer.PROJECTED)),
                Arg.ptr(w.patchBias()), Arg.ptr(w.clsToken()), Arg.ptr(w.posEmbed()), Arg.ptr(at.applyAsLong(Buffer.RESIDUAL)),
                Arg.i32(batch), Arg.i32(patches), Arg.i32(d)));
        long squares = at.applyAsLong(Buffer.SQUARES);
        int squaresStride = build.squareGroups(c.dInner());
        for (int i = 0; i < w.layers().length; i++) {
            WeightAddresses.Layer layer = w.layers()[i];
            int previousDi = c.expand() * widths[Math.max(0, i - 1)];
            steps.add(launch(Kernel.ADD_LAYER_NORM, LaunchGeometry.perRow(rows), Arg.ptr(at.applyAsLong(Buffer.RESIDUAL)),
                    Arg.ptr(at.applyAsLong(Buffer.HIDDEN)), Arg.ptr(squares), Arg.i32(squaresStride),
                    Arg.i32(build.squareGroups(previousDi)), Arg.i32(previousDi), Arg.ptr(at.applyAsLong(Buffer.U)),
                    Arg.ptr(layer.normWeight()), Arg.ptr(layer.normBias()), Arg.i32(rows), Arg.i32(d), Arg.f32(eps),
                    Arg.f32(GATED_NORM_EPS), Arg.i32(i == 0 ? 1 : 0)));
            mix(steps, c, build, scan, layer, LayerProducts.of(c, rows, widths[i]), at, batch, rows);
        }
        int lastDi = c.expand() * widths[widths.length - 1];
        steps.add(launch(Kernel.FINAL_NORM, LaunchGeometry.perRow(batch), Arg.ptr(at.applyAsLong(Buffer.RESIDUAL)),
                Arg.ptr(at.applyAsLong(Buffer.HIDDEN)), Arg.ptr(squares), Arg.i32(squaresStride),
                Arg.i32(build.squareGroups(lastDi)), Arg.i32(lastDi), Arg.ptr(at.applyAsLong(Buffer.CLS_SUM)),
                Arg.ptr(at.applyAsLong(Buffer.FEATURES)), Arg.ptr(w.finalNormWeight()), Arg.ptr(w.finalNormBias()),
                Arg.i32(batch), Arg.i32(tokens), Arg.i32(d), Arg.f32(eps), Arg.f32(GATED_NORM_EPS)));
        int classes = c.nClasses();
        steps.add(new Product("head", Gemm.linear(batch, classes, d, 0, d), w.headWeight(),
                at.applyAsLong(Buffer.FEATURES), at.applyAsLong(Buffer.LOGITS), false, false));
        steps.add(launch(Kernel.ADD_BIAS, LaunchGeometry.perElement((long) batch * classes),
                Arg.ptr(at.applyAsLong(Buffer.LOGITS)), Arg.ptr(w.headBias()), Arg.i32(batch), Arg.i32(classes)));
        return steps;
    }

    /**
     * One mixer on u: the in_proj product (B, C, then each head's z, x, dt), B and C through the convolution with dt's
     * step and decay, the scan (x's convolution, the selective scan, the skip, the gate) in the chosen form, out_proj
     * into hidden.
     */
    private static void mix(List<Step> steps, ModelConfig c, KernelBuild build, ScanForm scan, WeightAddresses.Layer layer,
                            LayerProducts p, ToLongFunction<Buffer> at, int batch, int rows) {
        int tokens = c.nTokens();
        int di = p.di();
        long in = at.applyAsLong(Buffer.IN_PROJ);
        steps.add(new Product("in_proj", p.in(), layer.inProj(), at.applyAsLong(Buffer.U), in, true, true));
        long convTiles = (long) batch * Math.ceilDiv(tokens, KernelBuild.CONV_TOKENS);
        steps.add(launch(Kernel.CONV_BC_DT, LaunchGeometry.perElement(convTiles * (2L * c.dState() + p.heads())),
                Arg.ptr(in), Arg.i32(p.inWidth()), Arg.ptr(at.applyAsLong(Buffer.BC)), Arg.ptr(at.applyAsLong(Buffer.DT)),
                Arg.ptr(layer.convWeight()), Arg.ptr(layer.convBias()), Arg.i32(c.dInner()), Arg.ptr(layer.dtBias()),
                Arg.ptr(layer.a()), Arg.i32(p.heads()), Arg.i32(c.headdim()), Arg.i32(tokens), Arg.i32(rows)));
        ScanForm form = scan.forLayer(di, tokens, c.headdim(), build.bf16());
        switch (form) {
            case RECURRENT -> steps.add(launch(Kernel.SSM_SCAN, LaunchGeometry.scan(batch, di, build.channelsPerBlock()),
                    Arg.ptr(in), Arg.i32(p.inWidth()), Arg.ptr(at.applyAsLong(Buffer.BC)),
                    Arg.ptr(at.applyAsLong(Buffer.DT)), Arg.ptr(layer.convWeight()), Arg.ptr(layer.convBias()),
                    Arg.ptr(layer.skip()), Arg.ptr(at.applyAsLong(Buffer.GATED)), Arg.ptr(at.applyAsLong(Buffer.SQUARES)),
                    Arg.i32(build.squareGroups(c.dInner())), Arg.i32(tokens), Arg.i32(di), Arg.i32(c.headdim())));
            case TENSOR -> tensorScan(steps, c, build, layer, p, at, batch);
            case AUTO -> throw new AssertionError("forLayer resolves AUTO");
        }
        steps.add(new Product("out_proj", p.out(), layer.outProj(), at.applyAsLong(Buffer.GATED),
                at.applyAsLong(Buffer.HIDDEN), true, false));
    }

    /**
     * The scan in its chunk form on tensor cores, an image's tokens being one chunk: {@code CB = C B^T} per image
     * (column-major: {@code CB^T = B^T C} over bc's rows; CB's rows {@link WorkspaceLayout#cbStride} floats apart, an
     * image {@code tokens} such rows), then one kernel that sums each head's log decays from DT's steps and the
     * layer's A ({@code cum_t = sum over s <= t of step_s A_h}), convolves x, sums
     * {@code y_t = sum over s <= t of CB[t][s] exp(cum_t - cum_s) step_s xc_s} (neither those weights nor cum, xc or y
     * are written to memory), adds the skip and gates into GATED and SQUARES as ssm_scan leaves them.
     */
    private static void tensorScan(List<Step> steps, ModelConfig c, KernelBuild build, WeightAddresses.Layer layer,
                                   LayerProducts p, ToLongFunction<Buffer> at, int batch) {
        int tokens = c.nTokens();
        int n = c.dState();
        long bc = at.applyAsLong(Buffer.BC);
        int cbStride = WorkspaceLayout.cbStride(tokens);
        steps.add(new BatchedProduct(new Gemm(true, false, tokens, tokens, n, 0, 2 * n, 2 * n, cbStride), bc,
                bc + (long) n * Float.BYTES, at.applyAsLong(Buffer.CB), (long) tokens * 2 * n, (long) tokens * 2 * n,
                (long) tokens * cbStride, batch));
        steps.add(launch(Kernel.SSD_TENSOR, LaunchGeometry.tensor(batch, tokens, p.di(), c.headdim(), build.bf16()),
                Arg.ptr(at.applyAsLong(Buffer.IN_PROJ)), Arg.i32(p.inWidth()), Arg.ptr(at.applyAsLong(Buffer.CB)),
                Arg.i32(cbStride), Arg.ptr(at.applyAsLong(Buffer.DT)), Arg.ptr(layer.a()), Arg.ptr(layer.convWeight()),
                Arg.ptr(layer.convBias()), Arg.ptr(layer.skip()), Arg.ptr(at.applyAsLong(Buffer.GATED)),
                Arg.ptr(at.applyAsLong(Buffer.SQUARES)), Arg.i32(build.squareGroups(c.dInner())), Arg.i32(tokens),
                Arg.i32(p.di()), Arg.i32(c.headdim())));
    }

    private static Launch launch(Kernel kernel, LaunchGeometry geometry, Arg... args) {
        return new Launch(kernel, geometry, List.of(args));
    }
}
