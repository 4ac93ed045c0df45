package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;

/**
 * The preprocessor's tensors are bit for bit those of the straightforward pipeline it replaced, kept below as the
 * reference: the first matching ImageIO reader, every pixel through {@code getRGB}/{@code setRGB} into an
 * {@code INT_RGB} image (grayscale samples replicated), EXIF orientation by {@code getRGB}/{@code setRGB}, the box
 * resize reading {@code getRGB} rows, then normalisation. Checked on every ImageNet sample photo (at 224 px, as the
 * released models, and at 64 px with the ImageNet crop), the test images, and images made here in the layouts a
 * decoder may return (RGBA, 16-bit, gray with alpha, 1-bit and transparent palettes, 16- and 32-bit BMP, grayscale
 * JPEG) and with every EXIF orientation. Also checks the raster reading itself against {@code getRGB} for every
 * {@code BufferedImage} type, whole and as a sub-image.
 */
class BitIdenticalPreprocessingTest {
    private static final Preprocessing CROP_ALL = new Preprocessing(1.0,
            new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.247f, 0.2435f, 0.2616f});

    @Test
    void everySamplePhotoMatchesTheReferenceBitForBit() throws Exception {
        List<Path> photos;
        try (Stream<Path> files = Files.list(TestPaths.projectRoot().resolve("data/imagenet-sample"))) {
            photos = files.sorted().toList();
        }
        assertEquals(100, photos.size());
        for (Path photo : photos) {
            byte[] bytes = Files.readAllBytes(photo);
            assertIdentical(photo.getFileName().toString(), bytes, 224, CROP_ALL);
            assertIdentical(photo.getFileName().toString(), bytes, 64, Preprocessing.IMAGENET);
        }
    }

    @Test
    void everyTestImageMatchesTheReferenceBitForBit() throws Exception {
        for (String name : new String[] {"rgb.png", "rgba.png", "palette.png", "gray.png", "gray16.png", "rgb16.png",
                "rgb.gif", "rgb.bmp", "rgb.jpg", "exif6.jpg", "cmyk.jpg"}) {
            byte[] bytes = Files.readAllBytes(TestPaths.resource("images").resolve(name));
            assertIdentical(name, bytes, 16, Preprocessing.IMAGENET);
            assertIdentical(name, bytes, 224, CROP_ALL); // enlarged: nearest neighbour
        }
    }

    @Test
    void everyDecodedLayoutMatchesTheReferenceBitForBit() throws Exception {
        for (var image : madeImages().entrySet()) {
            assertIdentical(image.getKey(), image.getValue(), 16, Preprocessing.IMAGENET);
            assertIdentical(image.getKey(), image.getValue(), 40, CROP_ALL);
        }
    }

    @Test
    void everyExifOrientationMatchesTheReferenceBitForBit() throws Exception {
        byte[] small = Files.readAllBytes(TestPaths.resource("images/exif6.jpg"));
        byte[] photo = withExifOf(Files.readAllBytes(TestPaths.projectRoot().resolve("data/imagenet-sample/n01440764_tench.JPEG")), small);
        for (int orientation = 1; orientation <= 8; orientation++) {
            byte[] turned = withOrientation(photo, orientation);
            assertEquals(orientation, Orientation.ofJpeg(turned));
            assertIdentical("tench, orientation " + orientation, turned, 224, CROP_ALL);
            assertIdentical("exif6.jpg, orientation " + orientation, withOrientation(small, orientation), 16, Preprocessing.IMAGENET);
        }
    }

    @Test
    void rasterRowsAreGetRgbForEveryImageType() {
        Random random = new Random(12);
        for (int type = BufferedImage.TYPE_INT_RGB; type <= BufferedImage.TYPE_BYTE_INDEXED; type++) {
            BufferedImage image = new BufferedImage(37, 23, type);
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    image.setRGB(x, y, random.nextInt());
                }
            }
            for (BufferedImage im : new BufferedImage[] {image, image.getSubimage(5, 3, 29, 17)}) {
                BufferedImage expected = referenceToRgb(im);
                RgbRows rows = RgbRows.of(im);
                int w = im.getWidth();
                int[] got = new int[w - 2];
                for (int y = 0; y < im.getHeight(); y++) {
                    rows.read(y, 2, w - 2, got, 0);
                    assertArrayEquals(expected.getRGB(2, y, w - 2, 1, null, 0, w - 2), Arrays.stream(got).map(p -> p | 0xff000000).toArray(),
                            "type " + type + ", " + w + " wide, row " + y);
                }
            }
        }
    }

    private static void assertIdentical(String name, byte[] bytes, int size, Preprocessing preprocessing) throws Exception {
        float[] expected = reference(bytes, size, preprocessing);
        float[] got = new ImagePreprocessor(size, preprocessing).preprocess(bytes);
        assertArrayEquals(expected, got, name + " at " + size + " px"); // exact: compares the floats' bits
    }

    /** PNGs, BMPs and a JPEG made here in the pixel layouts the decoders return, beyond the test images'. */
    private static Map<String, byte[]> madeImages() throws Exception {
        int w = 61;
        int h = 47;
        Random random = new Random(3);
        Map<String, byte[]> images = new LinkedHashMap<>();
        for (int type : new int[] {BufferedImage.TYPE_4BYTE_ABGR, BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_USHORT_565_RGB,
                BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY, BufferedImage.TYPE_BYTE_BINARY}) {
            BufferedImage image = new BufferedImage(w, h, type);
            fill(image.getRaster(), random);
            for (String format : new String[] {"png", "bmp", "jpeg"}) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                if (ImageIO.write(image, format, out)) {
                    images.put(format + " from type " + type, out.toByteArray());
                }
            }
        }
        ColorSpace gray = ColorSpace.getInstance(ColorSpace.CS_GRAY);
        ColorSpace srgb = ColorSpace.getInstance(ColorSpace.CS_sRGB);
        images.put("png gray + alpha", png(new ComponentColorModel(gray, true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE), w, h, random));
        images.put("png gray + alpha, 16-bit", png(new ComponentColorModel(gray, true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT), w, h, random));
        images.put("png rgba, 16-bit", png(new ComponentColorModel(srgb, true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_USHORT), w, h, random));
        byte[][] palette = new byte[4][256];
        for (byte[] levels : palette) {
            random.nextBytes(levels);
        }
        images.put("png palette with transparency", png(new IndexColorModel(8, 256, palette[0], palette[1], palette[2], palette[3]), w, h, random));
        images.put("png 2-bit palette", png(new IndexColorModel(2, 4, palette[0], palette[1], palette[2]), w, h, random));
        assertEquals(19, images.size(), "every format that can hold the layout: " + images.keySet());
        return images;
    }

    private static byte[] png(ColorModel model, int w, int h, Random random) throws Exception {
        WritableRaster raster = model.createCompatibleWritableRaster(w, h);
        fill(raster, random);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(new BufferedImage(model, raster, false, null), "png", out));
        return out.toByteArray();
    }

    /** Random samples over the whole range of each band, on a smooth ramp so that JPEG keeps some structure. */
    private static void fill(WritableRaster raster, Random random) {
        for (int b = 0; b < raster.getNumBands(); b++) {
            int max = (1 << raster.getSampleModel().getSampleSize(b)) - 1;
            for (int y = 0; y < raster.getHeight(); y++) {
                for (int x = 0; x < raster.getWidth(); x++) {
                    int ramp = (int) ((long) max * (x + y + b * 7) / (raster.getWidth() + raster.getHeight() + 21));
                    raster.setSample(x, y, b, random.nextInt(4) == 0 ? random.nextInt(max + 1) : ramp);
                }
            }
        }
    }

    /** A JPEG with the EXIF segment of {@code exifJpeg} (its APP1, 36 bytes after the JFIF APP0) inserted after its own APP0. */
    private static byte[] withExifOf(byte[] jpeg, byte[] exifJpeg) {
        int app0End = 4 + ((jpeg[4] & 0xff) << 8 | jpeg[5] & 0xff);
        assertEquals((byte) 0xe0, jpeg[3], "the photo starts with a JFIF APP0");
        byte[] app1 = Arrays.copyOfRange(exifJpeg, 0x14, 0x38);
        assertEquals((byte) 0xe1, app1[1]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, app0End);
        out.write(app1, 0, app1.length);
        out.write(jpeg, app0End, jpeg.length - app0End);
        return out.toByteArray();
    }

    /** The JPEG with the value of its (big-endian, SHORT) EXIF orientation tag replaced. */
    private static byte[] withOrientation(byte[] jpeg, int orientation) {
        byte[] tag = {0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0};
        for (int i = 0; i + tag.length < jpeg.length; i++) {
            if (Arrays.equals(jpeg, i, i + tag.length, tag, 0, tag.length)) {
                byte[] turned = jpeg.clone();
                turned[i + tag.length] = (byte) orientation;
                return turned;
            }
        }
        throw new AssertionError("no EXIF orientation tag");
    }

    // ---- The reference: the preprocessing as it was before the raster fast paths. ----

    private static final Set<String> FORMATS = Set.of("jpeg", "png", "gif", "bmp");

    /**
     * Whole-image decode (the sizes used here never subsample) by the first ImageIO reader of the four formats, of the
     * data without a JPEG's ICC profile (PIL's reading, checked in ImagePreprocessorTest).
     */
    private static float[] reference(byte[] bytes, int size, Preprocessing preprocessing) throws Exception {
        BufferedImage decoded = null;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(JpegColorProfile.withoutProfile(bytes)))) {
            for (Iterator<ImageReader> readers = ImageIO.getImageReaders(in); readers.hasNext() && decoded == null; ) {
                ImageReader reader = readers.next();
                if (FORMATS.contains(reader.getFormatName().toLowerCase(Locale.ROOT))) {
                    reader.setInput(in, true, true);
                    decoded = reader.read(0, reader.getDefaultReadParam());
                }
                reader.dispose();
            }
        }
        BufferedImage image = referenceOrientation(referenceToRgb(decoded), Orientation.ofJpeg(bytes));
        int height = image.getHeight();
        int width = image.getWidth();
        int side = Math.max(1, (int) Math.rint(preprocessing.cropRatio() * Math.min(height, width)));
        int top = (int) Math.rint((height - side) / 2.0);
        int left = (int) Math.rint((width - side) / 2.0);
        float[][] resized = referenceResize(image, left, top, side, size);
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

    private static BufferedImage referenceToRgb(BufferedImage src) {
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

    private static BufferedImage referenceOrientation(BufferedImage src, int orientation) {
        if (orientation == 1) {
            return src;
        }
        int w = src.getWidth();
        int h = src.getHeight();
        boolean swap = orientation >= 5;
        BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[w];
        for (int sy = 0; sy < h; sy++) {
            src.getRGB(0, sy, w, 1, row, 0, w);
            for (int sx = 0; sx < w; sx++) {
                int x;
                int y;
                switch (orientation) {
                    case 2 -> { x = w - 1 - sx; y = sy; }
                    case 3 -> { x = w - 1 - sx; y = h - 1 - sy; }
                    case 4 -> { x = sx; y = h - 1 - sy; }
                    case 5 -> { x = sy; y = sx; }
                    case 6 -> { x = h - 1 - sy; y = sx; }
                    case 7 -> { x = h - 1 - sy; y = w - 1 - sx; }
                    case 8 -> { x = sy; y = w - 1 - sx; }
                    default -> throw new IllegalArgumentException("orientation " + orientation);
                }
                out.setRGB(x, y, row[sx]);
            }
        }
        return out;
    }

    private static float[][] referenceResize(BufferedImage rgb, int left, int top, int side, int size) {
        List<double[]> weights = new ArrayList<>();
        int[] first = new int[size];
        double scale = (double) side / size;
        double filterScale = Math.max(scale, 1.0);
        double support = 0.5 * filterScale;
        for (int xx = 0; xx < size; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), side) - xmin;
            double[] w = new double[xmax];
            double total = 0;
            for (int x = 0; x < xmax; x++) {
                double t = (x + xmin - center + 0.5) / filterScale;
                w[x] = t > -0.5 && t <= 0.5 ? 1.0 : 0.0;
                total += w[x];
            }
            if (total != 0) {
                for (int x = 0; x < xmax; x++) {
                    w[x] /= total;
                }
            }
            first[xx] = xmin;
            weights.add(w);
        }
        float[][] horizontal = new float[3][side * size];
        int[] row = new int[side];
        for (int y = 0; y < side; y++) {
            rgb.getRGB(left, top + y, side, 1, row, 0, side);
            for (int xx = 0; xx < size; xx++) {
                double r = 0;
                double g = 0;
                double b = 0;
                double[] w = weights.get(xx);
                for (int i = 0, x = first[xx]; i < w.length; i++, x++) {
                    int p = row[x];
                    r += ((p >> 16) & 0xff) * w[i];
                    g += ((p >> 8) & 0xff) * w[i];
                    b += (p & 0xff) * w[i];
                }
                horizontal[0][y * size + xx] = (float) r;
                horizontal[1][y * size + xx] = (float) g;
                horizontal[2][y * size + xx] = (float) b;
            }
        }
        float[][] out = new float[3][size * size];
        for (int c = 0; c < 3; c++) {
            float[] in = horizontal[c];
            for (int yy = 0; yy < size; yy++) {
                double[] w = weights.get(yy);
                for (int xx = 0; xx < size; xx++) {
                    double sum = 0;
                    for (int i = 0, y = first[yy]; i < w.length; i++, y++) {
                        sum += in[y * size + xx] * w[i];
                    }
                    out[c][yy * size + xx] = (float) sum / 255f;
                }
            }
        }
        return out;
    }
}
