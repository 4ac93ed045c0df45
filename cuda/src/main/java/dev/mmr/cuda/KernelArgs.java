package dev.mmr.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The argument list of one kernel launch, in native memory: an 8-byte slot per argument and the array of slot
 * addresses that {@code cuLaunchKernel} reads (it copies the values at launch, so one instance serves every launch
 * of a stream in turn). Not thread-safe.
 */
final class KernelArgs implements AutoCloseable {
    private static final int SLOT = 8;
    private static final int MAX_ARGS = 16;

    private final BytePointer slots = new BytePointer((long) SLOT * MAX_ARGS);
    private final LongPointer addresses = new LongPointer(MAX_ARGS);
    private int count;

    /** Starts a new argument list. */
    KernelArgs clear() {
        count = 0;
        return this;
    }

    /** A device address (a pointer argument). */
    KernelArgs ptr(long address) {
        slots.putLong((long) SLOT * count, address);
        return next();
    }

    KernelArgs i32(int value) {
        slots.putInt((long) SLOT * count, value);
        return next();
    }

    KernelArgs f32(float value) {
        slots.putFloat((long) SLOT * count, value);
        return next();
    }

    /** The {@code void**} kernelParams array. */
    LongPointer params() {
        return addresses;
    }

    private KernelArgs next() {
        if (count == MAX_ARGS) {
            throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        }
        addresses.put(count, slots.address() + (long) SLOT * count);
        count++;
        return this;
    }

    @Override public void close() {
        slots.close();
        addresses.close();
    }
}
