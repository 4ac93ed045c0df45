package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasDestroy_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cudart.cudaEventCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaEventDestroy;
import static org.bytedeco.cuda.global.cudart.cudaEventDisableTiming;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;

import dev.mmr.encoder.ModelConfig;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * What one forward call in flight owns: a stream, a cuBLAS handle bound to it, the event that marks the end of its
 * pass, the device workspace and the pinned host buffers of its copies, grown to the largest batch seen. One call
 * uses a slot at a time.
 */
final class Slot implements AutoCloseable {
    final CUstream_st stream = new CUstream_st();
    /** Recorded on {@link #stream} after each pass's last step (before its copy out). */
    final CUevent_st passDone = new CUevent_st();
    final cublasContext blas = new cublasContext();
    final KernelArgs args = new KernelArgs();
    final FloatPointer one = new FloatPointer(1f);
    final FloatPointer zero = new FloatPointer(0f);
    private final ModelConfig config;
    private final KernelBuild build;
    private final ScanForm scan;
    private WorkspaceLayout layout;
    private long workspace;
    private FloatPointer hostPixels;
    private ShortPointer hostPixelBits;
    private FloatPointer hostFeatures;
    private FloatPointer hostLogits;

    Slot(ModelConfig config, KernelBuild build, ScanForm scan) {
        this.config = config;
        this.build = build;
        this.scan = scan;
        Cuda.check(cudaStreamCreate(stream), "cudaStreamCreate");
        try {
            Cuda.check(cudaEventCreateWithFlags(passDone, cudaEventDisableTiming), "cudaEventCreate");
            Cuda.checkBlas(cublasCreate_v2(blas), "cublasCreate");
            Cuda.checkBlas(cublasSetStream_v2(blas, stream), "cublasSetStream");
        } catch (RuntimeException e) {
            cublasDestroy_v2(blas);
            cudaEventDestroy(passDone);
            cudaStreamDestroy(stream);
            throw e;
        }
    }

    /** Makes room for {@code batch} images (keeps what is there when it is large enough). */
    WorkspaceLayout reserve(int batch) {
        if (layout == null || layout.batch() < batch) {
            freeBuffers();
            WorkspaceLayout next = new WorkspaceLayout(config, build, batch, scan);
            workspace = Cuda.malloc(next.total(), "the workspace of a batch of " + batch);
            hostPixels = pinned(next.bytes(WorkspaceLayout.Buffer.PIXELS));
            hostPixelBits = new ShortPointer(hostPixels).capacity(next.bytes(WorkspaceLayout.Buffer.PIXELS) / Short.BYTES);
            hostFeatures = pinned(next.bytes(WorkspaceLayout.Buffer.FEATURES));
            hostLogits = pinned(next.bytes(WorkspaceLayout.Buffer.LOGITS));
            layout = next;
        }
        return layout;
    }

    /** The device address of a buffer of the current workspace. */
    long at(WorkspaceLayout.Buffer buffer) {
        return workspace + layout.offset(buffer);
    }

    /** The pinned buffer of the pixels, as float32 (fp32 and tf32 modes). */
    FloatPointer hostPixels() {
        return hostPixels;
    }

    /** The same buffer as bfloat16 bits (bf16 mode). */
    ShortPointer hostPixelBits() {
        return hostPixelBits;
    }

    FloatPointer hostFeatures() {
        return hostFeatures;
    }

    FloatPointer hostLogits() {
        return hostLogits;
    }

    private static FloatPointer pinned(long bytes) {
        Pointer p = new Pointer();
        Cuda.check(cudaMallocHost(p, bytes), "cudaMallocHost(" + bytes + ")");
        return new FloatPointer(p).capacity(bytes / Float.BYTES);
    }

    private void freeBuffers() {
        Cuda.free(workspace);
        workspace = 0;
        for (FloatPointer p : new FloatPointer[] {hostPixels, hostFeatures, hostLogits}) {
            if (p != null) {
                cudaFreeHost(p);
            }
        }
        hostPixels = null;
        hostPixelBits = null;
        hostFeatures = null;
        hostLogits = null;
        layout = null;
    }

    @Override public void close() {
        freeBuffers();
        cublasDestroy_v2(blas);
        cudaEventDestroy(passDone);
        cudaStreamDestroy(stream);
        args.close();
        one.close();
        zero.close();
    }
}
