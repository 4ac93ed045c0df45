package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cublas.cublasGetStatusString;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetErrorString;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.bytedeco.javacpp.SizeTPointer;

/** Status checks of the four CUDA libraries, and device memory as plain addresses. */
final class Cuda {
    private Cuda() {
    }

    /** A CUDA runtime status: 0 or a {@link CudaException} naming the call and the error. */
    static void check(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + ": " + cudaGetErrorString(status).getString() + " (cudaError " + status + ")");
        }
    }

    /** A CUDA driver API status. */
    static void checkDriver(int status, String call) {
        if (status != 0) {
            try (PointerPointer<?> text = new PointerPointer<>(1)) {
                String message = cuGetErrorString(status, text) == 0 && text.get(0) != null ? text.getString(0) : "unknown";
                throw new CudaException(call + ": " + message + " (CUresult " + status + ")");
            }
        }
    }

    /** A cuBLAS status. */
    static void checkBlas(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + ": " + cublasGetStatusString(status).getString() + " (cublasStatus " + status + ")");
        }
    }

    /** An NVRTC status. */
    static void checkNvrtc(int status, String call) {
        if (status != 0) {
            throw new CudaException(call + ": " + nvrtcGetErrorString(status).getString() + " (nvrtcResult " + status + ")");
        }
    }

    /** A pointer object for a device address, to hand to the libraries (never dereferenced on the host). */
    static Pointer at(long deviceAddress) {
        // Inside the subclass the field "address" shadows any parameter of that name: hence deviceAddress.
        return new Pointer() {
            {
                address = deviceAddress;
            }
        };
    }

    /** Free bytes of the current device's memory. */
    static long freeBytes() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
            return free.get();
        }
    }

    static long malloc(long bytes, String what) {
        Pointer p = new Pointer();
        check(cudaMalloc(p, bytes), "cudaMalloc(" + bytes + " bytes for " + what + ")");
        return p.address();
    }

    static void free(long address) {
        if (address != 0) {
            cudaFree(at(address));
        }
    }

    /** The current device's memory, as {@link DeviceWeights} places weights in it (copies are synchronous). */
    static final DeviceMemory MEMORY = new DeviceMemory() {
        @Override public long allocate(long bytes, String what) {
            return malloc(bytes, what);
        }

        @Override public void upload(long address, float[] values) {
            try (FloatPointer host = new FloatPointer(values)) {
                check(cudaMemcpy(at(address), host, (long) values.length * Float.BYTES, cudaMemcpyHostToDevice), "cudaMemcpy");
            }
        }

        @Override public void upload(long address, short[] values) {
            try (ShortPointer host = new ShortPointer(values)) {
                check(cudaMemcpy(at(address), host, (long) values.length * Short.BYTES, cudaMemcpyHostToDevice), "cudaMemcpy");
            }
        }

        @Override public void free(long address) {
            Cuda.free(address);
        }
    };
}
