package dev.mmr.encoder;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.util.Arrays;

/**
 * A decoded image's pixels as 8-bit RGB, a row at a time, packed {@code 0xRRGGBB}; alpha is dropped. Grayscale
 * samples are replicated as they are (Java's own conversion would treat them as linear light and brighten them), a
 * sample of more than 8 bits scaled to 8 with rounding; everything else is what the colour model's {@code getRGB}
 * gives (palette, 16-bit, ICC profiles; CMYK is already RGB from the JPEG reader).
 * <p>Fast paths: the layouts decoders return for photos (interleaved 8-bit sRGB or gray bytes, as
 * {@code TYPE_3BYTE_BGR}, {@code TYPE_4BYTE_ABGR} and {@code TYPE_BYTE_GRAY}; packed {@code TYPE_INT_RGB}-style ints)
 * are read straight from the data array, where {@code getRGB} would go through the colour model pixel by pixel, the
 * larger part of the time of preprocessing a photo. They give exactly what the general path gives
 * (BitIdenticalPreprocessingTest). Not thread-safe: one per image and thread.
 */
abstract sealed class RgbRows {
    final int width;
    final int height;

    private RgbRows(int width, int height) {
        this.width = width;
        this.height = height;
    }

    /** The image's rows, read from its raster where the layout allows it. */
    static RgbRows of(BufferedImage image) {
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        SampleModel layout = raster.getSampleModel();
        DataBuffer data = raster.getDataBuffer();
        boolean gray = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        boolean straightAlpha = !model.hasAlpha() || !model.isAlphaPremultiplied();
        if (model instanceof ComponentColorModel && layout instanceof PixelInterleavedSampleModel interleaved
                && data instanceof DataBufferByte bytes && straightAlpha && (gray || model.getColorSpace().isCS_sRGB())
                && Arrays.stream(model.getComponentSize()).allMatch(bits -> bits == 8)) {
            return new InterleavedBytes(image, interleaved, bytes, gray);
        }
        if (model instanceof DirectColorModel direct && layout instanceof SinglePixelPackedSampleModel packed
                && data instanceof DataBufferInt ints && straightAlpha && direct.getColorSpace().isCS_sRGB()
                && direct.getRedMask() == 0xff0000 && direct.getGreenMask() == 0xff00 && direct.getBlueMask() == 0xff) {
            return new PackedInts(image, packed, ints);
        }
        return gray ? new Gray(image) : new ColourModel(image);
    }

    /** Writes pixels {@code x .. x + n - 1} of row {@code y} to {@code rgb[offset ..]} as {@code 0xRRGGBB}. */
    abstract void read(int y, int x, int n, int[] rgb, int offset);

    /** Interleaved 8-bit samples in one byte array: R, G, B at their band offsets, or a gray sample replicated. */
    private static final class InterleavedBytes extends RgbRows {
        private final byte[] data;
        private final int origin;
        private final int pixelStride;
        private final int scanlineStride;
        private final int red;
        private final int green;
        private final int blue;

        InterleavedBytes(BufferedImage image, PixelInterleavedSampleModel layout, DataBufferByte bytes, boolean gray) {
            super(image.getWidth(), image.getHeight());
            Raster raster = image.getRaster();
            int[] bands = layout.getBandOffsets();
            data = bytes.getData();
            pixelStride = layout.getPixelStride();
            scanlineStride = layout.getScanlineStride();
            origin = bytes.getOffset() - raster.getSampleModelTranslateY() * scanlineStride
                    - raster.getSampleModelTranslateX() * pixelStride;
            red = bands[0];
            green = bands[gray ? 0 : 1];
            blue = bands[gray ? 0 : 2];
        }

        @Override
        void read(int y, int x, int n, int[] rgb, int offset) {
            for (int i = 0, p = origin + y * scanlineStride + x * pixelStride; i < n; i++, p += pixelStride) {
                rgb[offset + i] = (data[p + red] & 0xff) << 16 | (data[p + green] & 0xff) << 8 | data[p + blue] & 0xff;
            }
        }
    }

    /** One int per pixel holding {@code 0x??RRGGBB}. */
    private static final class PackedInts extends RgbRows {
        private final int[] data;
        private final int origin;
        private final int scanlineStride;

        PackedInts(BufferedImage image, SinglePixelPackedSampleModel layout, DataBufferInt ints) {
            super(image.getWidth(), image.getHeight());
            Raster raster = image.getRaster();
            data = ints.getData();
            scanlineStride = layout.getScanlineStride();
            origin = ints.getOffset() - raster.getSampleModelTranslateY() * scanlineStride - raster.getSampleModelTranslateX();
        }

        @Override
        void read(int y, int x, int n, int[] rgb, int offset) {
            for (int i = 0, p = origin + y * scanlineStride + x; i < n; i++, p++) {
                rgb[offset + i] = data[p] & 0xffffff;
            }
        }
    }

    /** Any other grayscale layout (16-bit, fewer than 8 bits): the first band's sample scaled to 8 bits, rounded. */
    private static final class Gray extends RgbRows {
        private final Raster raster;
        private final double scale;
        private int[] samples = new int[0];

        Gray(BufferedImage image) {
            super(image.getWidth(), image.getHeight());
            raster = image.getRaster();
            scale = 255.0 / ((1L << image.getColorModel().getComponentSize(0)) - 1);
        }

        @Override
        void read(int y, int x, int n, int[] rgb, int offset) {
            if (samples.length < n) {
                samples = new int[n];
            }
            raster.getSamples(x, y, n, 1, 0, samples);
            for (int i = 0; i < n; i++) {
                int v = (int) Math.rint(samples[i] * scale);
                rgb[offset + i] = v << 16 | v << 8 | v;
            }
        }
    }

    /** Any other layout (palette, 16-bit, ICC profiles, premultiplied alpha): through the colour model. */
    private static final class ColourModel extends RgbRows {
        private final BufferedImage image;

        ColourModel(BufferedImage image) {
            super(image.getWidth(), image.getHeight());
            this.image = image;
        }

        @Override
        void read(int y, int x, int n, int[] rgb, int offset) {
            image.getRGB(x, y, n, 1, rgb, offset, n);
            for (int i = offset; i < offset + n; i++) {
                rgb[i] &= 0xffffff;
            }
        }
    }
}
