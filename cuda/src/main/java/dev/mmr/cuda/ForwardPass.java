package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.cudaEventCreate;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventElapsedTime;
import static org.bytedeco.cuda.global.cudart.cudaEventRecord;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaStreamWaitEvent;

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * Runs a {@link PassPlan} on a slot's stream: one copy in, the plan's launches and products, one copy out. Calls on
 * different slots copy at the same time, and at most {@link #PASSES_AT_ONCE} of their passes share the GPU, in the
 * order they were enqueued: each waits for the end of the pass enqueued that many before it. So the kernels of one
 * pass fill what another's leave idle, and the passes stay staggered: passes left to share the GPU freely end
 * together, and then every call does its host work (the next batch's copy in) at once while the GPU waits.
 */
final class ForwardPass {
    /** Values of one piece of the pixels' copy in, the work of one thread at a time (4 MB of float32). */
    static final int COPY_PIECE = 1 << 20;
    /** A thread's room for one piece as bfloat16 bits. */
    private static final ThreadLocal<short[]> PIECE_BITS = ThreadLocal.withInitial(() -> new short[COPY_PIECE]);
    /** The profile's entry for the copy in. */
    static final String COPY_IN = "copy in";

    private final ModelConfig config;
    private final WeightAddresses weights;
    private final DeviceKernels kernels;
    private final KernelBuild build;
    private final Precision precision;
    private final ScanForm scan;
    /** Passes that may share the GPU: two gained over one in 23 of the 24 benchmark rows (docs/gpu.md, "Measured"). */
    static final int PASSES_AT_ONCE = 2;

    /** The ends of the last passes enqueued, on any slot, oldest first; at most {@link #PASSES_AT_ONCE}. Guarded by {@code this}. */
    private final ArrayDeque<CUevent_st> passesDone = new ArrayDeque<>(PASSES_AT_ONCE);

    ForwardPass(ModelConfig config, WeightAddresses weights, DeviceKernels kernels, KernelBuild build, Precision precision,
                ScanForm scan) {
        this.config = config;
        this.weights = weights;
        this.kernels = kernels;
        this.build = build;
        this.precision = precision;
        this.scan = scan;
    }

    NetworkOutput run(Slot s, float[] pixels, int batch, int[] widths) {
        return run(s, pixels, batch, widths, null);
    }

    /**
     * The pass; when {@code stepMillis} is given, each step is timed with CUDA events and its milliseconds added to
     * the entry of its kernel's name (or "gemm" and the product's role, such as "gemm in_proj", or "gemm_batched" for
     * the tensor scan's strided batched product), and the copy in (pixels into pinned memory and on to the device,
     * waited for before the pass starts) under {@link #COPY_IN}.
     */
    NetworkOutput run(Slot s, float[] pixels, int batch, int[] widths, Map<String, Double> stepMillis) {
        s.reserve(batch);
        long copyStart = System.nanoTime();
        copyIn(s, pixels);
        if (stepMillis != null) {
            Cuda.check(cudaStreamSynchronize(s.stream), "the copy in");
            stepMillis.merge(COPY_IN, (System.nanoTime() - copyStart) / 1e6, Double::sum);
        }
        List<PassPlan.Step> steps = PassPlan.of(config, build, scan, weights, s::at, batch, widths);
        CUevent_st[] marks = stepMillis == null ? new CUevent_st[0] : new CUevent_st[steps.size() + 1];
        for (int i = 0; i < marks.length; i++) {
            marks[i] = new CUevent_st();
            Cuda.check(cudaEventCreate(marks[i]), "cudaEventCreate");
        }
        synchronized (this) {
            if (passesDone.size() == PASSES_AT_ONCE) {
                Cuda.check(cudaStreamWaitEvent(s.stream, passesDone.removeFirst(), 0), "cudaStreamWaitEvent");
            }
            for (int i = 0; i < steps.size(); i++) {
                mark(marks, i, s);
                switch (steps.get(i)) {
                    case PassPlan.Launch l -> kernels.launch(l.kernel(), l.geometry(), s.stream, s.args.set(l.args()));
                    case PassPlan.Product p -> gemm(s, p);
                    case PassPlan.BatchedProduct p -> gemmBatched(s, p);
                }
            }
            mark(marks, steps.size(), s);
            Cuda.check(cudaEventRecord(s.passDone, s.stream), "cudaEventRecord");
            passesDone.addLast(s.passDone);
        }
        float[] features = new float[batch * config.dModel()];
        float[] logits = new float[batch * config.nClasses()];
        copyOut(s, s.at(Buffer.FEATURES), s.hostFeatures(), features.length);
        copyOut(s, s.at(Buffer.LOGITS), s.hostLogits(), logits.length);
        Cuda.check(cudaStreamSynchronize(s.stream), "the forward pass");
        s.hostFeatures().get(features, 0, features.length);
        s.hostLogits().get(logits, 0, logits.length);
        if (stepMillis != null) {
            float[] ms = new float[1];
            for (int i = 0; i < steps.size(); i++) {
                Cuda.check(cudaEventElapsedTime(ms, marks[i], marks[i + 1]), "cudaEventElapsedTime");
                String name = switch (steps.get(i)) {
                    case PassPlan.Launch l -> l.kernel().symbol;
                    case PassPlan.Product p -> "gemm " + p.role();
                    case PassPlan.BatchedProduct p -> "gemm_batched";
                };
                stepMillis.merge(name, (double) ms[0], Double::sum);
            }
        }
        for (CUevent_st mark : marks) {
            cudaEventDestroy(mark);
        }
        return new NetworkOutput(features, logits);
    }

    private static void mark(CUevent_st[] marks, int i, Slot s) {
        if (marks.length > 0) {
            Cuda.check(cudaEventRecord(marks[i], s.stream), "cudaEventRecord");
        }
    }

    private void gemm(Slot s, PassPlan.Product p) {
        Gemm g = p.gemm();
        int type = p.bf16Operands(precision) ? CUDA_R_16BF : CUDA_R_32F;
        Cuda.checkBlas(cublasGemmEx(s.blas, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N,
                g.m(), g.n(), g.k(), s.one, Cuda.at(p.aAddress(precision)), type, g.lda(), Cuda.at(p.b()), type, g.ldb(),
                s.zero, Cuda.at(p.c()), p.bf16Output(precision) ? CUDA_R_16BF : CUDA_R_32F, g.ldc(),
                p.tf32(precision) ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT), "cublasGemmEx " + g);
    }

    /**
     * The pixels into the slot's pinned buffer ({@link #writePixels}, or {@link #writePixelBits} in bf16 mode, which
     * halves what crosses the bus) and on to the device in one copy.
     */
    private void copyIn(Slot s, float[] pixels) {
        Pointer host;
        if (build.bf16()) {
            writePixelBits(pixels, s.hostPixelBits());
            host = s.hostPixelBits();
        } else {
            writePixels(pixels, s.hostPixels());
            host = s.hostPixels();
        }
        Cuda.check(cudaMemcpyAsync(Cuda.at(s.at(Buffer.PIXELS)), host, (long) pixels.length * build.actBytes(),
                cudaMemcpyHostToDevice, s.stream), "cudaMemcpyAsync pixels");
    }

    /**
     * The pixels as float32 into host memory from {@code host}'s address on, pieces of {@link #COPY_PIECE} written by
     * the common pool's threads at once: one thread writes a Java array into pinned memory at 2-6 GB/s, which capped
     * the narrow widths' throughput (docs/gpu.md).
     */
    static void writePixels(float[] pixels, FloatPointer host) {
        inPieces(pixels.length, (from, n) -> new FloatPointer(host).position(from).put(pixels, from, n));
    }

    /** The pixels as bfloat16 bits ({@link Bf16#pack}, as the patch product would round them), as {@link #writePixels}. */
    static void writePixelBits(float[] pixels, ShortPointer host) {
        inPieces(pixels.length, (from, n) -> {
            short[] bits = PIECE_BITS.get();
            Bf16.pack(pixels, from, n, bits);
            new ShortPointer(host).position(from).put(bits, 0, n);
        });
    }

    private interface Piece {
        void write(int from, int n);
    }

    private static void inPieces(int length, Piece piece) {
        IntStream.range(0, Math.ceilDiv(length, COPY_PIECE)).parallel()
                .forEach(k -> piece.write(k * COPY_PIECE, Math.min(COPY_PIECE, length - k * COPY_PIECE)));
    }

    private void gemmBatched(Slot s, PassPlan.BatchedProduct p) {
        Gemm g = p.gemm();
        Cuda.checkBlas(cublasGemmStridedBatchedEx(s.blas, g.transA() ? CUBLAS_OP_T : CUBLAS_OP_N,
                g.transB() ? CUBLAS_OP_T : CUBLAS_OP_N, g.m(), g.n(), g.k(), s.one, Cuda.at(p.a()), CUDA_R_32F, g.lda(),
                p.strideA(), Cuda.at(p.b()), CUDA_R_32F, g.ldb(), p.strideB(), s.zero, Cuda.at(p.c()), CUDA_R_32F, g.ldc(),
                p.strideC(), p.count(), p.tf32(precision) ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
                CUBLAS_GEMM_DEFAULT), "cublasGemmStridedBatchedEx " + p.count() + " x " + g);
    }

    private static void copyOut(Slot s, long device, FloatPointer host, int count) {
        Cuda.check(cudaMemcpyAsync(host, Cuda.at(device), (long) count * Float.BYTES, cudaMemcpyDeviceToHost, s.stream),
                "cudaMemcpyAsync outputs");
    }
}
