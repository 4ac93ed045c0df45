package dev.mmr.cuda;

import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The argument list of one kernel launch, in native memory: an 8-byte slot per argument and the array of slot
 * addresses that {@code cuLaunchKernel} reads (it copies the values at launch, so one instance serves every launch
 * of a stream in turn). The array goes to the driver as a {@link PointerPointer}: JavaCPP's overload taking plain
 * {@code Pointer}s marks {@code kernelParams} by-pointer-pointer and would pass the address of a variable holding
 * the array's address, one level of indirection too many. Not thread-safe.
 */
final class KernelArgs implements AutoCloseable {
    private static final int SLOT = 8;
    private static final int MAX_ARGS = 16;

    private final BytePointer slots = new BytePointer((long) SLOT * MAX_ARGS);
    private final LongPointer addresses = new LongPointer(MAX_ARGS);
    private final PointerPointer<Pointer> params = new PointerPointer<>(addresses);
    private final StringBuilder kinds = new StringBuilder();
    private int count;

    /** Starts a new argument list. */
    KernelArgs clear() {
        count = 0;
        kinds.setLength(0);
        return this;
    }

    /** A device address (a pointer argument). */
    KernelArgs ptr(long address) {
        slots.putLong((long) SLOT * count, address);
        return next('p');
    }

    KernelArgs i32(int value) {
        slots.putInt((long) SLOT * count, value);
        return next('i');
    }

    KernelArgs f32(float value) {
        slots.putFloat((long) SLOT * count, value);
        return next('f');
    }

    /** The {@code void**} kernelParams array (a view of the slot addresses). */
    PointerPointer<Pointer> params() {
        return params;
    }

    /** Starts a new list holding {@code args}. */
    KernelArgs set(List<PassPlan.Arg> args) {
        clear();
        for (PassPlan.Arg a : args) {
            switch (a.kind()) {
                case 'p' -> ptr(a.value());
                case 'i' -> i32((int) a.value());
                case 'f' -> f32(Float.intBitsToFloat((int) a.value()));
                default -> throw new IllegalArgumentException("argument kind " + a.kind());
            }
        }
        return this;
    }

    /** The kinds of the arguments so far, as {@link KernelSignature} spells them. */
    String kinds() {
        return kinds.toString();
    }

    private KernelArgs next(char kind) {
        if (count == MAX_ARGS) {
            throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        }
        addresses.put(count, slots.address() + (long) SLOT * count);
        kinds.append(kind);
        count++;
        return this;
    }

    @Override public void close() {
        slots.close();
        addresses.close();
    }
}
