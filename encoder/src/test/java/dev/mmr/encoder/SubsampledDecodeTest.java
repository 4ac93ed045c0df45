package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Images much larger than the model needs are subsampled while they are decoded: the result stays close to the
 * whole-image box resize, ordinary images are untouched, and a thumbnail decode stays near the size asked for.
 * Prints the decode and preprocess time of a 40-megapixel PNG decoded whole and subsampled (one run each after a
 * warm-up; not asserted, the machine decides it).
 */
class SubsampledDecodeTest {
    private static final int WIDTH = 7300;
    private static final int HEIGHT = 5470;
    private static byte[] huge;

    @BeforeAll
    static void makeAFortyMegapixelPng() throws Exception {
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_3BYTE_BGR);
        int[] row = new int[WIDTH];
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                int checker = ((x / 500 + y / 500) & 1) * 160;
                row[x] = (x * 255 / WIDTH) << 16 | (y * 255 / HEIGHT) << 8 | checker;
            }
            image.setRGB(0, y, WIDTH, 1, row, 0, WIDTH);
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        huge = png.toByteArray();
    }

    @Test
    void aHugeImageIsSubsampledAndStaysCloseToTheWholeImageResize() throws Exception {
        ImagePreprocessor preprocessor = new ImagePreprocessor(32, Preprocessing.IMAGENET, ImagePreprocessor.MAX_PIXELS_CAP);
        preprocessor.preprocess(huge); // warm-up
        preprocessor.preprocessWhole(huge);
        long t0 = System.nanoTime();
        float[] whole = preprocessor.preprocessWhole(huge);
        long t1 = System.nanoTime();
        float[] subsampled = preprocessor.preprocess(huge);
        long t2 = System.nanoTime();
        double max = 0;
        double sum = 0;
        for (int i = 0; i < whole.length; i++) {
            max = Math.max(max, Math.abs(whole[i] - subsampled[i]));
            sum += Math.abs(whole[i] - subsampled[i]);
        }
        double mean = sum / whole.length;
        System.out.printf("%n| %dx%d PNG, %d KB, 32 px model | decode + preprocess ms |%n|---|---:|%n| whole image | %.0f |%n"
                        + "| subsampled by %d | %.0f |%n| difference, mean / max (normalised units) | %.4f / %.4f |%n%n",
                WIDTH, HEIGHT, huge.length / 1024, (t1 - t0) / 1e6, 4785 / (ImagePreprocessor.SAMPLES_PER_OUTPUT_PIXEL * 32),
                (t2 - t1) / 1e6, mean, max);
        // 16 x 16 samples stand for the 150 x 150 pixels each output pixel averages: flat and smooth areas agree, a hard
        // edge crossing an output pixel is placed to 1/16 of it (the checker's edges, 2.8 units high in blue: ~0.17).
        assertTrue(mean < 0.02 && max < 0.25, "subsampled result differs from the whole-image resize by " + mean + " / " + max);
    }

    @Test
    void ordinaryImagesAreDecodedWhole() throws Exception {
        for (String name : new String[] {"rgb.png", "rgb.jpg", "exif6.jpg"}) {
            byte[] bytes = Files.readAllBytes(TestPaths.resource("images").resolve(name));
            ImagePreprocessor preprocessor = new ImagePreprocessor(2, Preprocessing.IMAGENET);
            assertArrayEquals(preprocessor.preprocessWhole(bytes), preprocessor.preprocess(bytes), name);
        }
        // 500x375, crop side 328: whole while 328 < 2 x 16 x size, subsampled by 2 from size 10 down.
        byte[] tench = Files.readAllBytes(TestPaths.projectRoot().resolve("data/imagenet-sample/n01440764_tench.JPEG"));
        ImagePreprocessor eleven = new ImagePreprocessor(11, Preprocessing.IMAGENET);
        assertArrayEquals(eleven.preprocessWhole(tench), eleven.preprocess(tench));
        ImagePreprocessor ten = new ImagePreprocessor(10, Preprocessing.IMAGENET);
        assertFalse(Arrays.equals(ten.preprocessWhole(tench), ten.preprocess(tench)), "subsampled from size 10");
    }

    @Test
    void thumbnailDecodesKeepTheLongerSideBetweenTheAskedSizeAndTwiceIt() throws Exception {
        ImagePreprocessor preprocessor = new ImagePreprocessor(64, Preprocessing.IMAGENET);
        for (int side : new int[] {128, 300, 1000}) {
            BufferedImage image = preprocessor.decodeAtLeast(huge, side);
            int longer = Math.max(image.getWidth(), image.getHeight());
            assertTrue(longer >= side && longer < 2 * side, side + " -> " + image.getWidth() + "x" + image.getHeight());
            assertEquals(BufferedImage.TYPE_INT_RGB, image.getType());
        }
        byte[] small = Files.readAllBytes(TestPaths.resource("images/exif6.jpg"));
        BufferedImage upright = preprocessor.decodeAtLeast(small, 128);
        assertEquals(40, upright.getWidth(), "a small image comes whole, turned upright by its EXIF orientation (stored 30x40)");
        assertEquals(30, upright.getHeight());
    }
}
