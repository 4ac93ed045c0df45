package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.junit.jupiter.api.Test;

/**
 * The kernelParams array as the driver reads it: element i is the address of an 8-byte slot holding argument i in
 * the kernel's own type, and the array handed over is that array itself (a {@link PointerPointer}, which JavaCPP
 * passes as {@code void**} without a further level of indirection).
 */
class KernelArgsTest {
    @Test
    void eachParameterPointsAtItsValue() {
        try (KernelArgs args = new KernelArgs()) {
            args.set(List.of(PassPlan.Arg.ptr(0x7000_1234_5678L), PassPlan.Arg.i32(-197), PassPlan.Arg.f32(1e-5f)));
            assertEquals("pif", args.kinds());
            PointerPointer<Pointer> params = args.params();
            BytePointer first = new BytePointer(params.get(0));
            BytePointer second = new BytePointer(params.get(1));
            BytePointer third = new BytePointer(params.get(2));
            assertEquals(0x7000_1234_5678L, first.getLong(0));
            assertEquals(-197, second.getInt(0));
            assertEquals(1e-5f, third.getFloat(0));
            assertEquals(8, second.address() - first.address());

            args.set(List.of(PassPlan.Arg.i32(42)));
            assertEquals("i", args.kinds());
            assertEquals(42, new BytePointer(args.params().get(0)).getInt(0));
        }
    }
}
