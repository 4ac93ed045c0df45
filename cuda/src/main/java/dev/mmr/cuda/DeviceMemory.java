package dev.mmr.cuda;

/**
 * Memory a model's weights are placed in, by address: the GPU's ({@link Cuda#MEMORY}), or a stand-in on the host that
 * hands out addresses the same way, so the weights' layout and the pass built over it can be checked without a GPU.
 */
interface DeviceMemory {
    /** Reserves {@code bytes} bytes; {@code what} names them in errors. Returns the address of the first. */
    long allocate(long bytes, String what);

    /** Copies float32 values to the start of an allocation. */
    void upload(long address, float[] values);

    /** Copies 16-bit values (bfloat16 bits) to the start of an allocation. */
    void upload(long address, short[] values);

    /** Releases an allocation (0 is ignored). */
    void free(long address);
}
