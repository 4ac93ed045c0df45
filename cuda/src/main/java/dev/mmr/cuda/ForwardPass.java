package dev.mmr.cuda;

import static dev.mmr.cuda.WorkspaceLayout.Buffer.BC;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.BCDT;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.CLS_SUM;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.FEATURES;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.GATED;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.HIDDEN;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.LOGITS;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.PATCHES;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.PIXELS;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.PROJECTED;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.RESIDUAL;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.U;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.X;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.XC;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.Y;
import static dev.mmr.cuda.WorkspaceLayout.Buffer.Z;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.backend.NetworkOutput;
import dev.mmr.encoder.backend.Precision;

/**
 * The network's forward pass on the device (docs/model.md, "Forward pass at a nested width"), as the CPU network
 * computes it: one copy in, every step queued on the slot's stream over device buffers, one copy out.
 */
final class ForwardPass {
    private static final float GATED_NORM_EPS = 1e-5f;

    private final ModelConfig config;
    private final DeviceWeights weights;
    private final DeviceKernels kernels;
    private final KernelBuild build;
    private final int actType;
    private final int actBytes;
    private final int compute;

    ForwardPass(ModelConfig config, DeviceWeights weights, DeviceKernels kernels, KernelBuild build, Precision precision) {
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        this.build = build;
        this.actType = precision == Precision.BF16 ? CUDA_R_16BF : CUDA_R_32F;
        this.actBytes = actBytes(precision);
        this.compute = precision == Precision.TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    }

    /** Bytes of one element of a product input in {@code precision}. */
    static int actBytes(Precision precision) {
        return precision == Precision.BF16 ? Short.BYTES : Float.BYTES;
    }

    NetworkOutput run(Slot s, float[] pixels, int batch, int[] widths) {
        s.reserve(batch);
        int d = config.dModel();
        int tokens = config.nTokens();
        int patches = config.nPatches();
        int k = 3 * config.patchSize() * config.patchSize();
        int rows = batch * tokens;
        float eps = (float) config.normEpsilon();

        s.hostPixels().put(pixels, 0, pixels.length);
        Cuda.check(cudaMemcpyAsync(Cuda.at(s.at(PIXELS)), s.hostPixels(), (long) pixels.length * Float.BYTES,
                cudaMemcpyHostToDevice, s.stream), "cudaMemcpyAsync pixels");
        launch(s, Kernel.IM2COL, LaunchGeometry.perElement((long) batch * patches * k), s.args.clear()
                .ptr(s.at(PIXELS)).ptr(s.at(PATCHES)).i32(batch).i32(config.imageSize()).i32(config.patchSize()));
        gemm(s, Gemm.linear(batch * patches, d, k, 0, k), weights.patchWeight, actType, s.at(PATCHES), s.at(PROJECTED), compute);
        launch(s, Kernel.EMBED_TOKENS, LaunchGeometry.perElement((long) rows * d), s.args.clear().ptr(s.at(PROJECTED))
                .ptr(weights.patchBias).ptr(weights.clsToken).ptr(weights.posEmbed).ptr(s.at(RESIDUAL))
                .i32(batch).i32(patches).i32(d));
        for (int i = 0; i < weights.layers.length; i++) {
            DeviceWeights.Layer layer = weights.layers[i];
            launch(s, Kernel.ADD_LAYER_NORM, LaunchGeometry.perRow(rows), s.args.clear().ptr(s.at(RESIDUAL))
                    .ptr(s.at(HIDDEN)).ptr(s.at(U)).ptr(layer.normWeight()).ptr(layer.normBias())
                    .i32(rows).i32(d).f32(eps).i32(i == 0 ? 1 : 0));
            mix(s, layer, LayerProducts.of(config, rows, widths[i]), batch, rows);
        }
        launch(s, Kernel.FINAL_NORM, LaunchGeometry.perRow(batch), s.args.clear().ptr(s.at(RESIDUAL)).ptr(s.at(HIDDEN))
                .ptr(s.at(CLS_SUM)).ptr(s.at(FEATURES)).ptr(weights.finalNormWeight).ptr(weights.finalNormBias)
                .i32(batch).i32(tokens).i32(d).f32(eps));
        int classes = config.nClasses();
        gemm(s, Gemm.linear(batch, classes, d, 0, d), weights.headWeight, CUDA_R_32F, s.at(FEATURES), s.at(LOGITS),
                CUBLAS_COMPUTE_32F);
        launch(s, Kernel.ADD_BIAS, LaunchGeometry.perElement((long) batch * classes),
                s.args.clear().ptr(s.at(LOGITS)).ptr(weights.headBias).i32(batch).i32(classes));

        float[] features = new float[batch * d];
        float[] logits = new float[batch * classes];
        copyOut(s, s.at(FEATURES), s.hostFeatures(), features.length);
        copyOut(s, s.at(LOGITS), s.hostLogits(), logits.length);
        Cuda.check(cudaStreamSynchronize(s.stream), "the forward pass");
        s.hostFeatures().get(features, 0, features.length);
        s.hostLogits().get(logits, 0, logits.length);
        return new NetworkOutput(features, logits);
    }

    /** One mixer on u: products, conv + SiLU of x and of B, C, the scan, the gated norm, out_proj into hidden. */
    private void mix(Slot s, DeviceWeights.Layer layer, LayerProducts p, int batch, int rows) {
        int n = config.dState();
        int tokens = config.nTokens();
        int taps = config.dConv();
        int di = p.di();
        gemm(s, p.z(), layer.inProj(), actType, s.at(U), s.at(Z), compute);
        gemm(s, p.x(), layer.inProj(), actType, s.at(U), s.at(X), compute);
        gemm(s, p.bcdt(), layer.inProj(), actType, s.at(U), s.at(BCDT), compute);
        launch(s, Kernel.CONV_SILU, LaunchGeometry.perElement((long) rows * di), s.args.clear().ptr(s.at(X)).i32(di)
                .ptr(s.at(XC)).i32(di).ptr(layer.convWeight()).ptr(layer.convBias()).i32(0).i32(taps).i32(tokens).i32(rows));
        launch(s, Kernel.CONV_SILU, LaunchGeometry.perElement((long) rows * 2 * n), s.args.clear().ptr(s.at(BCDT))
                .i32(p.bcdtWidth()).ptr(s.at(BC)).i32(2 * n).ptr(layer.convWeight()).ptr(layer.convBias())
                .i32(config.dInner()).i32(taps).i32(tokens).i32(rows));
        launch(s, Kernel.SSM_SCAN, LaunchGeometry.scan(batch, di, build.scanChannels()), s.args.clear().ptr(s.at(XC))
                .ptr(s.at(Y)).ptr(s.at(BC)).ptr(s.at(BCDT)).i32(p.bcdtWidth()).ptr(layer.dtBias()).ptr(layer.a())
                .ptr(layer.skip()).i32(batch).i32(tokens).i32(di).i32(config.headdim()).i32(n));
        launch(s, Kernel.GATE_RMS_NORM, LaunchGeometry.perRow(rows), s.args.clear().ptr(s.at(Y)).ptr(s.at(Z))
                .ptr(s.at(GATED)).ptr(layer.gateNormWeight()).i32(rows).i32(di).f32(GATED_NORM_EPS));
        gemm(s, p.out(), layer.outProj(), actType, s.at(GATED), s.at(HIDDEN), compute);
    }

    private void launch(Slot s, Kernel kernel, LaunchGeometry geometry, KernelArgs args) {
        kernels.launch(kernel, geometry, s.stream, args);
    }

    /** {@code c = op(a) . op(b)} with a (the weight) and b of element type {@code type}; c float32. */
    private void gemm(Slot s, Gemm g, long a, int type, long b, long c, int computeType) {
        int elementBytes = type == CUDA_R_16BF ? Short.BYTES : Float.BYTES;
        Cuda.checkBlas(cublasGemmEx(s.blas, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N,
                g.m(), g.n(), g.k(), s.one, Cuda.at(a + g.aOffset() * elementBytes), type, g.lda(), Cuda.at(b), type, g.ldb(),
                s.zero, Cuda.at(c), CUDA_R_32F, g.ldc(), computeType, CUBLAS_GEMM_DEFAULT), "cublasGemmEx " + g);
    }

    private static void copyOut(Slot s, long device, org.bytedeco.javacpp.FloatPointer host, int count) {
        Cuda.check(cudaMemcpyAsync(host, Cuda.at(device), (long) count * Float.BYTES, cudaMemcpyDeviceToHost, s.stream),
                "cudaMemcpyAsync outputs");
    }
}
