package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** bfloat16 packing of the product weights: round to nearest even, as the kernels round activations. */
class Bf16Test {
    @Test
    void exactValuesKeepTheirBits() {
        assertEquals((short) 0x3F80, Bf16.bits(1f));
        assertEquals((short) 0xC040, Bf16.bits(-3f));
        assertEquals((short) 0x0000, Bf16.bits(0f));
        assertEquals(1f, Bf16.toFloat((short) 0x3F80));
        assertEquals(-3f, Bf16.toFloat((short) 0xC040));
    }

    @Test
    void tiesRoundToEven() {
        // 1 + 2^-8 lies halfway between 1 (0x3F80, even) and 1 + 2^-7 (0x3F81): goes down to the even one.
        assertEquals((short) 0x3F80, Bf16.bits(1f + 0x1p-8f));
        // 1 + 3 * 2^-8 lies halfway between 0x3F81 (odd) and 0x3F82 (even): goes up.
        assertEquals((short) 0x3F82, Bf16.bits(1f + 3 * 0x1p-8f));
        // Just above a tie rounds up.
        assertEquals((short) 0x3F81, Bf16.bits(1f + 0x1p-8f + 0x1p-20f));
    }

    @Test
    void packedWeightsAreWithinHalfAnUlpOfTheirValues() {
        SplittableRandom random = new SplittableRandom(3);
        float[] weights = new float[10_000];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-6, 4)));
        }
        short[] packed = Bf16.pack(weights);
        assertEquals(weights.length, packed.length);
        for (int i = 0; i < weights.length; i++) {
            float back = Bf16.toFloat(packed[i]);
            assertTrue(Math.abs(back - weights[i]) <= Math.abs(weights[i]) * 0x1p-8f,
                    weights[i] + " packed as " + back);
            assertEquals(Math.signum(weights[i]), Math.signum(back));
        }
    }

    /** The vectorised packing of a range (the pixels' copy in) gives the bits {@link Bf16#bits} gives, tail included. */
    @Test
    void aRangePacksAsEachValueAlone() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-6, 6)));
        }
        values[10] = 1f + 0x1p-8f;
        values[11] = -0f;
        short[] out = new short[995];
        Bf16.pack(values, 3, 995, out);
        for (int i = 0; i < out.length; i++) {
            assertEquals(Bf16.bits(values[3 + i]), out[i], "value " + (3 + i));
        }
    }
}
