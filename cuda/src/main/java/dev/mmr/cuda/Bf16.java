package dev.mmr.cuda;

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
        for (int i = 0; i < values.length; i++) {
            out[i] = bits(values[i]);
        }
        return out;
    }
}
