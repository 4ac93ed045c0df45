package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cudart.cudaDriverGetVersion;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaRuntimeGetVersion;
import static org.bytedeco.cuda.global.nvrtc.nvrtcVersion;

import java.util.List;
import java.util.Optional;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.Loader;

/**
 * The GPU this backend runs on (device 0), or why there is none usable: the CUDA libraries missing, no driver, no
 * device, a driver older than CUDA 13, or a compute capability below 9.0. Probed once per process.
 *
 * @param name            the device's name, e.g. "NVIDIA H200"
 * @param arch            compute capability as major * 10 + minor
 * @param multiprocessors streaming multiprocessors
 * @param memoryBytes     device memory
 * @param driverVersion   CUDA version the driver supports, e.g. 13000
 * @param runtimeVersion  version of the CUDA runtime library loaded
 */
public record CudaDevice(String name, int arch, int multiprocessors, long memoryBytes, int driverVersion,
                         int runtimeVersion) {
    /** Hopper: the oldest architecture this backend is built and tested for. */
    static final int MIN_ARCH = 90;
    static final int MIN_CUDA = 13000;

    private static final Probe PROBE = probe();

    private record Probe(CudaDevice device, String reason) {
    }

    /** The usable device, or an {@link IllegalStateException} saying why there is none. */
    public static CudaDevice get() {
        if (PROBE.device == null) {
            throw new IllegalStateException(PROBE.reason);
        }
        return PROBE.device;
    }

    /** Why no device is usable here, or empty when one is. Never throws. */
    public static Optional<String> unavailableReason() {
        return Optional.ofNullable(PROBE.reason);
    }

    /** "NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB, driver CUDA 13.0)". */
    public String describe() {
        return String.format("%s (sm_%d, %d SMs, %.1f GiB, driver CUDA %d.%d)", name, arch, multiprocessors,
                memoryBytes / (double) (1L << 30), driverVersion / 1000, driverVersion % 1000 / 10);
    }

    private static Probe probe() {
        try {
            return probeLoaded();
        } catch (LinkageError e) {
            List<String> missing = NativeLibraries.missing();
            return new Probe(null, "the CUDA 13 libraries could not be loaded"
                    + (missing.isEmpty() ? "" : " (not found on LD_LIBRARY_PATH or in the system's library folders: "
                    + String.join(", ", missing) + ")") + ": " + e.getMessage());
        } catch (RuntimeException e) {
            return new Probe(null, "probing the CUDA device failed: " + e);
        }
    }

    private static Probe probeLoaded() {
        int[] value = new int[1];
        int status = cudaGetDeviceCount(value);
        if (status != 0) {
            return new Probe(null, "no usable CUDA device: " + cudaGetErrorString(status).getString());
        }
        if (value[0] == 0) {
            return new Probe(null, "no CUDA device found");
        }
        Cuda.check(cudaDriverGetVersion(value), "cudaDriverGetVersion");
        int driver = value[0];
        Cuda.check(cudaRuntimeGetVersion(value), "cudaRuntimeGetVersion");
        int runtime = value[0];
        if (driver < MIN_CUDA) {
            return new Probe(null, "the NVIDIA driver supports CUDA " + driver / 1000 + "." + driver % 1000 / 10
                    + "; this backend needs CUDA 13.0 or newer");
        }
        CudaDevice device;
        try (cudaDeviceProp prop = new cudaDeviceProp()) {
            Cuda.check(cudaGetDeviceProperties(prop, 0), "cudaGetDeviceProperties");
            device = new CudaDevice(prop.name().getString().trim(), prop.major() * 10 + prop.minor(),
                    prop.multiProcessorCount(), prop.totalGlobalMem(), driver, runtime);
        }
        if (device.arch < MIN_ARCH) {
            return new Probe(null, device.name + " has compute capability " + device.arch / 10 + "." + device.arch % 10
                    + "; this backend needs 9.0 (Hopper) or newer (the CPU backend runs anywhere)");
        }
        Loader.load(cublas.class);
        int[] minor = new int[1];
        Cuda.checkNvrtc(nvrtcVersion(value, minor), "nvrtcVersion");
        if (value[0] * 1000 < MIN_CUDA) {
            return new Probe(null, "NVRTC " + value[0] + "." + minor[0] + " is too old; CUDA 13.0 or newer is needed");
        }
        return new Probe(device, null);
    }
}
