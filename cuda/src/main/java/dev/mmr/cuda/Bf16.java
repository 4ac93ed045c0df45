package dev.mmr.cuda;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * bfloat16 as the upper 16 bits of a float32, rounded to nearest even: the same rounding as the kernels' {@code
 * bf16_bits} (kernels/common.cuh), so weights packed here and activations converted on the device agree.
 */
final class Bf16 {
    private Bf16() {
    }

    /** The bfloat16 bits nearest to {@code v} (ties to even); {@code v} must be finite. */
    static short bits(float v) {
        int u = Float.floatToRawIntBits(v);
        u += 0x7FFF + ((u >>> 16) & 1);
        return (short) (u >>> 16);
    }

    /** The float32 value of bfloat16 bits. */
    static float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** A tensor's values as bfloat16 bits, in the same order. */
    static short[] pack(float[] values) {
        short[] out = new short[values.length];
        pack(values, 0, values.length, out);
        return out;
    }

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));

    /** {@code values[from .. from + n)} as bfloat16 bits into {@code out[0 .. n)}, as {@link #bits} rounds, a vector at a time. */
    static void pack(float[] values, int from, int n, short[] out) {
        int i = 0;
        for (; i <= n - FLOATS.length(); i += FLOATS.length()) {
            IntVector u = FloatVector.fromArray(FLOATS, values, from + i).reinterpretAsInts();
            IntVector rounded = u.add(u.lanewise(VectorOperators.LSHR, 16).and(1).add(0x7FFF)).lanewise(VectorOperators.LSHR, 16);
            ((ShortVector) rounded.convertShape(VectorOperators.I2S, SHORTS, 0)).intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = bits(values[from + i]);
        }
    }
}
