package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;

import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The network on the GPU: weights uploaded once, kernels compiled for the device when opened, and {@link #concurrency()}
 * slots (a stream, a cuBLAS handle and a workspace each) so that one call's copies and host work overlap the others'
 * passes, which run in the order they were enqueued ({@link ForwardPass}). The scan runs in the {@link ScanForm}
 * chosen at construction ({@link #DEFAULT_SCAN} unless named; as {@link ScanForm#in} says for the precision).
 */
public final class CudaBackend implements EncoderBackend {
    /** The batch the backend is sized and benchmarked for (the 224px batch). */
    static final int PREFERRED_BATCH = 256;
    /**
     * Calls in flight at most. Each call's host work (its pixels into pinned memory, the copy in, 20-30 ms) takes
     * longer than a level-8 pass of the 35M shape (11 ms on an H100), so two calls left the GPU idle there; with four
     * it waits less (docs/gpu.md).
     */
    static final int MAX_SLOTS = 4;
    /** The scan form of a backend opened without one: chosen per layer by width, the fastest measured (docs/gpu.md). */
    public static final ScanForm DEFAULT_SCAN = ScanForm.AUTO;

    private final ModelConfig config;
    private final Precision precision;
    private final ScanForm scan;
    private final CudaDevice device;
    private final KernelBuild build;
    private final DeviceKernels kernels;
    private final DeviceWeights weights;
    private final ForwardPass pass;
    private final List<Slot> allSlots = new ArrayList<>();
    private final int slots;
    private final BlockingQueue<Slot> idle;

    public CudaBackend(ModelConfig config, WeightSource source, Precision precision) {
        this(config, source, precision, DEFAULT_SCAN);
    }

    public CudaBackend(ModelConfig config, WeightSource source, Precision precision, ScanForm scan) {
        this.config = config;
        this.precision = precision;
        this.scan = scan.in(precision);
        this.device = CudaDevice.get();
        useDevice();
        Cuda.check(cudaFree(null), "initialising the CUDA context");
        this.build = KernelBuild.of(config, device.arch(), precision);
        this.kernels = new DeviceKernels(build);
        DeviceWeights uploaded = null;
        try {
            uploaded = new DeviceWeights(config, source, precision == Precision.BF16, Cuda.MEMORY);
            this.slots = slots(Cuda.freeBytes(), workspaceBytes(PREFERRED_BATCH));
            this.idle = new ArrayBlockingQueue<>(slots);
            for (int i = 0; i < slots; i++) {
                Slot slot = new Slot(config, build, this.scan);
                allSlots.add(slot);
                idle.add(slot);
            }
        } catch (RuntimeException e) {
            allSlots.forEach(Slot::close);
            if (uploaded != null) {
                uploaded.close();
            }
            kernels.close();
            throw e;
        }
        this.weights = uploaded;
        this.pass = new ForwardPass(config, weights.addresses(), kernels, build, precision, this.scan);
    }

    @Override public String description() {
        return "cuda: " + device.describe() + ", " + precision.name().toLowerCase() + " products (cuBLAS), NVRTC kernels, "
                + scan.label() + " scan, " + slots + " streams";
    }

    @Override public int preferredBatch() {
        return PREFERRED_BATCH;
    }

    @Override public int concurrency() {
        return slots;
    }

    /** Slots for a device with {@code freeBytes} free: as many workspaces of the preferred batch as half of it holds, 1 to {@link #MAX_SLOTS}. */
    static int slots(long freeBytes, long workspaceBytes) {
        return (int) Math.max(1, Math.min(MAX_SLOTS, freeBytes / 2 / workspaceBytes));
    }

    @Override public NetworkOutput forward(float[] pixels, int batch, int[] widths) {
        int s = config.imageSize();
        if (batch <= 0 || pixels.length != (long) batch * 3 * s * s || widths.length != config.nLayer()) {
            throw new IllegalArgumentException("expected " + batch + " x 3 x " + s + " x " + s + " pixels and "
                    + config.nLayer() + " widths, got " + pixels.length + " pixels and " + widths.length + " widths");
        }
        Slot slot = take();
        try {
            useDevice();
            return pass.run(slot, pixels, batch, widths);
        } finally {
            idle.add(slot);
        }
    }

    /**
     * One forward call with each step timed on the device: milliseconds per kernel name, and per "gemm" and role for
     * products (ForwardPass).
     */
    Map<String, Double> profile(float[] pixels, int batch, int[] widths) {
        Map<String, Double> millis = new TreeMap<>();
        Slot slot = take();
        try {
            useDevice();
            pass.run(slot, pixels, batch, widths, millis);
            return millis;
        } finally {
            idle.add(slot);
        }
    }

    /** Device bytes of the uploaded weights. */
    long weightBytes() {
        return weights.bytes();
    }

    /** Device bytes of one slot's workspace at {@code batch} images. */
    long workspaceBytes(int batch) {
        return new WorkspaceLayout(config, build, batch, scan).total();
    }

    /** Bytes of {@code batch} images' pixels as they cross to the device (float32, or bfloat16 in bf16 mode). */
    long pixelBytes(int batch) {
        return new WorkspaceLayout(config, build, batch, scan).bytes(WorkspaceLayout.Buffer.PIXELS);
    }

    public CudaDevice device() {
        return device;
    }

    @Override public void close() {
        for (int i = 0; i < slots; i++) {
            take();
        }
        useDevice();
        allSlots.forEach(Slot::close);
        weights.close();
        kernels.close();
    }

    private Slot take() {
        try {
            return idle.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free CUDA stream", e);
        }
    }

    /** Makes device 0's primary context current on the calling thread (the kernels live in it). */
    private static void useDevice() {
        Cuda.check(cudaSetDevice(0), "cudaSetDevice");
    }
}
