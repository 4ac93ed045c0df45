package dev.mmr.cuda;

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

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.backend.NetworkOutput;
import dev.mmr.encoder.backend.Precision;
import org.bytedeco.javacpp.FloatPointer;

/** Runs a {@link PassPlan} on a slot's stream: one copy in, the plan's launches and products, one copy out. */
final class ForwardPass {
    private final ModelConfig config;
    private final WeightAddresses weights;
    private final DeviceKernels kernels;
    private final KernelBuild build;
    private final int actType;
    private final int compute;

    ForwardPass(ModelConfig config, WeightAddresses weights, DeviceKernels kernels, KernelBuild build, Precision precision) {
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        this.build = build;
        this.actType = precision == Precision.BF16 ? CUDA_R_16BF : CUDA_R_32F;
        this.compute = precision == Precision.TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    }

    /** Bytes of one element of a product input in {@code precision}. */
    static int actBytes(Precision precision) {
        return precision == Precision.BF16 ? Short.BYTES : Float.BYTES;
    }

    NetworkOutput run(Slot s, float[] pixels, int batch, int[] widths) {
        s.reserve(batch);
        s.hostPixels().put(pixels, 0, pixels.length);
        Cuda.check(cudaMemcpyAsync(Cuda.at(s.at(Buffer.PIXELS)), s.hostPixels(), (long) pixels.length * Float.BYTES,
                cudaMemcpyHostToDevice, s.stream), "cudaMemcpyAsync pixels");
        for (PassPlan.Step step : PassPlan.of(config, build, weights, s::at, batch, widths)) {
            switch (step) {
                case PassPlan.Launch l -> kernels.launch(l.kernel(), l.geometry(), s.stream, s.args.set(l.args()));
                case PassPlan.Product p -> gemm(s, p);
            }
        }
        float[] features = new float[batch * config.dModel()];
        float[] logits = new float[batch * config.nClasses()];
        copyOut(s, s.at(Buffer.FEATURES), s.hostFeatures(), features.length);
        copyOut(s, s.at(Buffer.LOGITS), s.hostLogits(), logits.length);
        Cuda.check(cudaStreamSynchronize(s.stream), "the forward pass");
        s.hostFeatures().get(features, 0, features.length);
        s.hostLogits().get(logits, 0, logits.length);
        return new NetworkOutput(features, logits);
    }

    private void gemm(Slot s, PassPlan.Product p) {
        Gemm g = p.gemm();
        int type = p.productPrecision() ? actType : CUDA_R_32F;
        int elementBytes = type == CUDA_R_16BF ? Short.BYTES : Float.BYTES;
        Cuda.checkBlas(cublasGemmEx(s.blas, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N,
                g.m(), g.n(), g.k(), s.one, Cuda.at(p.a() + g.aOffset() * elementBytes), type, g.lda(), Cuda.at(p.b()), type,
                g.ldb(), s.zero, Cuda.at(p.c()), CUDA_R_32F, g.ldc(), p.productPrecision() ? compute : CUBLAS_COMPUTE_32F,
                CUBLAS_GEMM_DEFAULT), "cublasGemmEx " + g);
    }

    private static void copyOut(Slot s, long device, FloatPointer host, int count) {
        Cuda.check(cudaMemcpyAsync(host, Cuda.at(device), (long) count * Float.BYTES, cudaMemcpyDeviceToHost, s.stream),
                "cudaMemcpyAsync outputs");
    }
}
