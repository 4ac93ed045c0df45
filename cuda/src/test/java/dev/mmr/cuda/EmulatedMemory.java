package dev.mmr.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Device memory stood in for on the host, for {@link Emulator}: allocations get addresses as a GPU would hand them out
 * (aligned, apart from each other), uploads must start at an allocation and fit in it, and a double free fails.
 */
final class EmulatedMemory implements DeviceMemory {
    private static final long BASE = 0x7000_0000_0000L;
    private static final long ALIGN = 256;
    private static final long GAP = 1 << 16;

    /** One allocation; {@code content} is null until something is uploaded into it. */
    static final class Allocation {
        final long address;
        final long bytes;
        final String what;
        ByteBuffer content;

        Allocation(long address, long bytes, String what) {
            this.address = address;
            this.bytes = bytes;
            this.what = what;
        }
    }

    private final Map<Long, Allocation> allocations = new TreeMap<>();
    private long next = BASE;

    @Override public long allocate(long bytes, String what) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("allocation of " + bytes + " bytes for " + what);
        }
        long address = next;
        next += (bytes + ALIGN - 1) / ALIGN * ALIGN + GAP;
        allocations.put(address, new Allocation(address, bytes, what));
        return address;
    }

    @Override public void upload(long address, float[] values) {
        ByteBuffer to = contentAt(address, (long) values.length * Float.BYTES);
        to.asFloatBuffer().put(values);
    }

    @Override public void upload(long address, short[] values) {
        ByteBuffer to = contentAt(address, (long) values.length * Short.BYTES);
        to.asShortBuffer().put(values);
    }

    @Override public void free(long address) {
        if (address != 0 && allocations.remove(address) == null) {
            throw new IllegalArgumentException("free of " + Long.toHexString(address) + ", which is not allocated");
        }
    }

    /** The live allocations, by address. */
    List<Allocation> allocations() {
        return new ArrayList<>(allocations.values());
    }

    private ByteBuffer contentAt(long address, long bytes) {
        Allocation a = allocations.get(address);
        if (a == null) {
            throw new IllegalArgumentException("upload to " + Long.toHexString(address) + ", not the start of an allocation");
        }
        if (bytes > a.bytes) {
            throw new IllegalArgumentException("upload of " + bytes + " bytes into " + a.bytes + " for " + a.what);
        }
        if (a.content == null) {
            a.content = ByteBuffer.allocate(Math.toIntExact(a.bytes)).order(ByteOrder.LITTLE_ENDIAN);
        }
        return a.content.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }
}
