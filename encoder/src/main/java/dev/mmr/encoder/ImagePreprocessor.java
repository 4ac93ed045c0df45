package dev.mmr.encoder;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntBinaryOperator;
import javax.imageio.IIOException;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Turns image bytes into the model's input: decode (JPEG including CMYK, PNG including 16-bit, palette, alpha and
 * grayscale, GIF, BMP) to 8-bit RGB, alpha dropped; apply a JPEG's EXIF orientation; take the centred square crop of
 * side {@code round(cropRatio · min(height, width))}; resize it to {@code size × size} with a box (area) filter,
 * exactly as PIL's {@code Image.resize(..., Image.BOX)} computes it; scale to [0, 1]; normalise each channel by
 * mean and std. Output is CHW, {@code float[3·size·size]}. A JPEG's embedded ICC profile is ignored, as PIL ignores it
 * ({@link JpegColorProfile}).
 * <p>The image header is read first and images over the pixel limit are refused before any pixel is decoded, so a
 * small file that claims a huge image (a decompression bomb) costs nothing. A JPEG or PNG cut short (no end marker) is
 * refused, where decoders would fill the missing part with grey and only warn. An image much larger than the model
 * needs is subsampled while it is decoded (every f-th pixel of every f-th row, f the largest integer that keeps at
 * least {@link #SAMPLES_PER_OUTPUT_PIXEL} samples per output pixel across the crop), so it costs a fraction of the
 * memory and time; ordinary images (crop side under {@code 2 · 16 · size}, 1024 pixels for a 32 px model) are decoded
 * whole and come out exactly as PIL computes them.
 * <p>Thread-safe: of this class, images share only the list of image readers, made once as the class loads. The decoded
 * pixels are read straight from the raster ({@code RgbRows}).
 */
public final class ImagePreprocessor {

    /** Largest image file read. */
    public static final long MAX_IMAGE_BYTES = 64L << 20;

    /** Cap on width·height whatever the model: 40 megapixels. */
    public static final long MAX_PIXELS_CAP = 40_000_000L;

    /** By default an image may have this many times the pixels of the model's input, {@code (128·size)²}, up to the cap. */
    public static final long PIXELS_PER_INPUT_PIXEL = 128 * 128;

    /** Subsampled decoding keeps at least this many source samples per output pixel along each side of the crop. */
    public static final int SAMPLES_PER_OUTPUT_PIXEL = 16;

    private static final Set<String> FORMATS = Set.of("jpeg", "png", "gif", "bmp");

    /** The registered readers of {@link #FORMATS}, in the registry's order of preference, as the class loads. */
    private static final List<ImageReaderSpi> READERS = readers();

    private final int size;
    private final Preprocessing preprocessing;
    private final long maxPixels;

    /** A preprocessor with the default pixel limit for its input size, {@link #defaultMaxPixels(int)}. */
    public ImagePreprocessor(int size, Preprocessing preprocessing) {
        this(size, preprocessing, defaultMaxPixels(size));
    }

    public ImagePreprocessor(int size, Preprocessing preprocessing, long maxPixels) {
        if (size <= 0 || size > ModelConfig.MAX_IMAGE_SIZE) {
            throw new IllegalArgumentException("image size must be in [1, " + ModelConfig.MAX_IMAGE_SIZE + "], got " + size);
        }
        if (maxPixels <= 0) {
            throw new IllegalArgumentException("pixel limit must be positive, got " + maxPixels);
        }
        this.size = size;
        this.preprocessing = preprocessing;
        this.maxPixels = maxPixels;
    }

    /** The default limit on width·height for a model input of {@code size × size}: {@code min((128·size)², 40 MP)}. */
    public static long defaultMaxPixels(int size) {
        return Math.min(MAX_PIXELS_CAP, PIXELS_PER_INPUT_PIXEL * size * size);
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
        return preprocess(imageBytes, this::subsamplingForCrop);
    }

    /** As {@link #preprocess(byte[])}, every image decoded whole: the reference that subsampling is measured against. */
    float[] preprocessWhole(byte[] imageBytes) throws ImageDecodeException {
        return preprocess(imageBytes, (width, height) -> 1);
    }

    /**
     * The image upright as 8-bit RGB, e.g. for a thumbnail: subsampled while decoding by the largest integer factor that
     * keeps its longer side at least {@code longerSide} pixels (so under {@code 2 · longerSide} for a large image; a
     * smaller image comes whole). Refused as {@link #preprocess(byte[])} refuses: unknown format, truncated, over the
     * pixel limit.
     */
    public BufferedImage decodeAtLeast(byte[] imageBytes, int longerSide) throws ImageDecodeException {
        if (longerSide < 1) {
            throw new IllegalArgumentException("the longer side must be at least 1 pixel, got " + longerSide);
        }
        return toRgb(Orientation.apply(decode(imageBytes, (width, height) -> Math.max(1, Math.max(width, height) / longerSide)),
                Orientation.ofJpeg(imageBytes)));
    }

    private float[] preprocess(byte[] imageBytes, IntBinaryOperator subsampling) throws ImageDecodeException {
        RgbRows image = RgbRows.of(Orientation.apply(decode(JpegColorProfile.withoutProfile(imageBytes), subsampling),
                Orientation.ofJpeg(imageBytes)));
        int height = image.height;
        int width = image.width;
        int side = Math.max(1, (int) Math.rint(preprocessing.cropRatio() * Math.min(height, width)));
        int top = (int) Math.rint((height - side) / 2.0);
        int left = (int) Math.rint((width - side) / 2.0);
        float[] out = BoxResize.resize(image, left, top, side, size);
        float[] mean = preprocessing.mean();
        float[] std = preprocessing.std();
        int plane = size * size;
        for (int c = 0; c < 3; c++) {
            for (int i = c * plane; i < (c + 1) * plane; i++) {
                out[i] = (out[i] - mean[c]) / std[c];
            }
        }
        return out;
    }

    private static List<ImageReaderSpi> readers() {
        List<ImageReaderSpi> readers = new ArrayList<>();
        for (Iterator<ImageReaderSpi> all = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class, true);
             all.hasNext(); ) {
            ImageReaderSpi spi = all.next();
            if (FORMATS.contains(spi.getFormatNames()[0].toLowerCase(Locale.ROOT))) {
                readers.add(spi);
            }
        }
        return List.copyOf(readers);
    }

    /** The subsampling factor for an image of {@code width × height}: 1 (whole) until the crop side reaches {@code 2 · 16 · size}. */
    private int subsamplingForCrop(int width, int height) {
        long cropSide = Math.round(preprocessing.cropRatio() * Math.min(width, height));
        return (int) Math.max(1, cropSide / ((long) SAMPLES_PER_OUTPUT_PIXEL * size));
    }

    /**
     * Decodes the first image of the bytes, after checking the header's dimensions against the limit and
     * the data's end marker; {@code subsampling} gives the factor to decode at from the header's width and height.
     */
    private BufferedImage decode(byte[] bytes, IntBinaryOperator subsampling) throws ImageDecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException("not an image: no data");
        }
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in);
            try {
                EndMarkers.requireComplete(bytes, reader.getFormatName().toLowerCase(Locale.ROOT));
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0) {
                    throw new ImageDecodeException("not an image: " + width + "x" + height + " pixels");
                }
                if ((long) width * height > maxPixels) {
                    throw new ImageDecodeException("image of " + width + "x" + height + " = " + (long) width * height
                            + " pixels exceeds the limit of " + maxPixels + " pixels");
                }
                int factor = subsampling.applyAsInt(width, height);
                ImageReadParam param = reader.getDefaultReadParam();
                if (factor > 1) {
                    param.setSourceSubsampling(factor, factor, factor / 2, factor / 2);
                }
                return reader.read(0, param);
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

    /**
     * A reader for the data: the first of {@link #READERS} that recognises it, which is the reader ImageIO's own
     * lookup would pick, without the registry's lock and sort on every call.
     */
    private static ImageReader readerFor(ImageInputStream in) throws ImageDecodeException, IOException {
        for (ImageReaderSpi spi : READERS) {
            in.mark();
            boolean recognised;
            try {
                recognised = spi.canDecodeInput(in);
            } catch (IOException e) {
                recognised = false; // as ImageIO's lookup takes it
            } finally {
                in.reset();
            }
            if (recognised) {
                return spi.createReaderInstance();
            }
        }
        throw new ImageDecodeException("not an image: the data is none of JPEG, PNG, GIF, BMP");
    }

    /** The image as 8-bit RGB ({@code TYPE_INT_RGB}), converted as {@link RgbRows} reads it; alpha is dropped. */
    private static BufferedImage toRgb(BufferedImage src) {
        if (src.getType() == BufferedImage.TYPE_INT_RGB) {
            return src;
        }
        RgbRows rows = RgbRows.of(src);
        BufferedImage rgb = new BufferedImage(rows.width, rows.height, BufferedImage.TYPE_INT_RGB);
        int[] pixels = ((DataBufferInt) rgb.getRaster().getDataBuffer()).getData();
        for (int y = 0; y < rows.height; y++) {
            rows.read(y, 0, rows.width, pixels, y * rows.width);
        }
        return rgb;
    }
}
