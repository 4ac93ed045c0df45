package dev.mmr.cuda;

/** A CUDA, cuBLAS or NVRTC call that failed, with the library's own message. */
public final class CudaException extends RuntimeException {
    CudaException(String message) {
        super(message);
    }
}
