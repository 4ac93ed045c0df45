package dev.mmr.encoder;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns image bytes into the model's input: decode (JPEG including CMYK, PNG including 16-bit, palette, alpha and
 * grayscale, GIF, BMP) to 8-bit RGB, alpha dropped; apply a JPEG's EXIF orientation; take the centred square crop of
 * side {@code round(cropRatio · min(height, width))}; resize it to {@code size × size} with a box (area) filter,
 * exactly as PIL's {@code Image.resize(..., Image.BOX)} computes it; scale to [0, 1]; normalise each channel by
 * mean and std. Output is CHW, {@code float[3·size·size]}.
 * <p>The image header is read first and images over the pixel limit are refused before any pixel is decoded, so a
 * small file that claims a huge image (a decompression bomb) costs nothing. A JPEG or PNG cut short (no end marker) is
 * refused, where decoders would fill the missing part with grey and only warn. Thread-safe.
 */
public final class ImagePreprocessor {

    /** Largest image file read. */
    public static final long MAX_IMAGE_BYTES = 64L << 20;

    /** Default limit on width·height: 40 megapixels. */
    public static final long DEFAULT_MAX_PIXELS = 40_000_000L;

    private static final Set<String> FORMATS = Set.of("jpeg", "png", "gif", "bmp");

    private final int size;
    private final Preprocessing preprocessing;
    private final long maxPixels;

    public ImagePreprocessor(int size, Preprocessing preprocessing) {
        this(size, preprocessing, DEFAULT_MAX_PIXELS);
    }

    public ImagePreprocessor(int size, Preprocessing preprocessing, long maxPixels) {
        if (size <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("pixel limit must be positive, got " + maxPixels);
        }
        this.size = size;
        this.preprocessing = preprocessing;
        this.maxPixels = maxPixels;
    }

    /** Side of the square output. */
    public int size() {
        return size;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** The normalised CHW tensor of the image in {@code file}, a regular file of at most {@link #MAX_IMAGE_BYTES}. */
    public float[] preprocess(Path file) throws ImageDecodeException, IOException {
        return preprocess(RegularFiles.read(file, MAX_IMAGE_BYTES));
    }

    /** The normalised CHW tensor of one image. */
    public float[] preprocess(byte[] imageBytes) throws ImageDecodeException {
        BufferedImage image = Orientation.apply(decode(imageBytes), Orientation.ofJpeg(imageBytes));
        int height = image.getHeight();
        int width = image.getWidth();
        int side = Math.max(1, (int) Math.rint(preprocessing.cropRatio() * Math.min(height, width)));
        int top = (int) Math.rint((height - side) / 2.0);
        int left = (int) Math.rint((width - side) / 2.0);
        float[][] resized = BoxResize.resize(image, left, top, side, size);
        float[] mean = preprocessing.mean();
        float[] std = preprocessing.std();
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            float[] plane = resized[c];
            for (int i = 0; i < plane.length; i++) {
                out[c * plane.length + i] = (plane[i] - mean[c]) / std[c];
            }
        }
        return out;
    }

    /** Decodes the first image of the bytes to RGB pixels, after checking the header's dimensions against the limit. */
    BufferedImage decode(byte[] bytes) throws ImageDecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException("not an image: no data");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in);
            try {
                EndMarkers.requireComplete(bytes, reader.getFormatName().toLowerCase(Locale.ROOT));
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageDecodeException("not an image: " + width + "x" + height + " pixels");
                }
                if (width * height > maxPixels) {
                    throw new ImageDecodeException("image of " + width + "x" + height + " = " + width * height
                            + " pixels exceeds the limit of " + maxPixels + " pixels");
                }
                return toRgb(reader.read(0));
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IIOException e) {
            throw new ImageDecodeException("unreadable image data: " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            // Decoders signal corrupt data with assorted runtime exceptions (IndexOutOfBounds, IllegalArgument, ...).
            throw new ImageDecodeException("unreadable image data: " + e, e);
        }
    }

    private static ImageReader readerFor(ImageInputStream in) throws ImageDecodeException {
        if (in == null) {
            throw new ImageDecodeException("not an image: cannot open the data");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        while (readers.hasNext()) {
            ImageReader reader = readers.next();
            String format;
            try {
                format = reader.getFormatName().toLowerCase(Locale.ROOT);
            } catch (IOException e) {
                format = "";
            }
            if (FORMATS.contains(format)) {
                return reader;
            }
            reader.dispose();
        }
        throw new ImageDecodeException("not an image: the data is none of JPEG, PNG, GIF, BMP");
    }

    /**
     * The image as 8-bit RGB ({@code TYPE_INT_RGB}). Grayscale samples are replicated as they are (Java's own
     * conversion would treat them as linear light and brighten them); everything else goes through the colour
     * model (palette, 16-bit, CMYK already converted by the JPEG reader); alpha is dropped.
     */
    private static BufferedImage toRgb(BufferedImage src) {
        int w = src.getWidth();
        int h = src.getHeight();
        if (src.getType() == BufferedImage.TYPE_INT_RGB) {
            return src;
        }
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[w];
        boolean gray = src.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        Raster raster = src.getRaster();
        double grayScale = gray ? 255.0 / ((1L << src.getColorModel().getComponentSize(0)) - 1) : 0;
        int[] samples = new int[w];
        for (int y = 0; y < h; y++) {
            if (gray) {
                raster.getSamples(0, y, w, 1, 0, samples);
                for (int x = 0; x < w; x++) {
                    int v = (int) Math.rint(samples[x] * grayScale);
                    row[x] = v << 16 | v << 8 | v;
                }
            } else {
                src.getRGB(0, y, w, 1, row, 0, w);
            }
            rgb.setRGB(0, y, w, 1, row, 0, w);
        }
        return rgb;
    }
}
