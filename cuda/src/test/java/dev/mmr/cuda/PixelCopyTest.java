package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.Test;

/**
 * The copy in's host side: pixels written into native memory by several threads, a piece each, land where one thread
 * would have put them, as float32 and as bfloat16 bits (plain native memory here; the GPU run writes pinned memory).
 */
class PixelCopyTest {
    /** Two whole pieces and a part of a third, so that every piece boundary and a short last piece are crossed. */
    private static final int VALUES = 2 * ForwardPass.COPY_PIECE + 12_345;

    @Test
    void float32PiecesLandInOrder() {
        float[] pixels = pixels();
        try (FloatPointer host = new FloatPointer(VALUES)) {
            ForwardPass.writePixels(pixels, host);
            float[] back = new float[VALUES];
            host.get(back);
            assertArrayEquals(pixels, back);
        }
    }

    @Test
    void bfloat16PiecesLandInOrderRoundedAsThePatchProductRounds() {
        float[] pixels = pixels();
        try (ShortPointer host = new ShortPointer(VALUES)) {
            ForwardPass.writePixelBits(pixels, host);
            short[] back = new short[VALUES];
            host.get(back);
            assertArrayEquals(Bf16.pack(pixels), back);
        }
    }

    private static float[] pixels() {
        SplittableRandom random = new SplittableRandom(7);
        float[] pixels = new float[VALUES];
        for (int i = 0; i < VALUES; i++) {
            pixels[i] = (float) (random.nextDouble() * 4 - 2);
        }
        return pixels;
    }
}
