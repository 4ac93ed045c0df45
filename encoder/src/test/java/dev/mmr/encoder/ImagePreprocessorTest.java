package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Java preprocessing against PIL's (encoder/src/test/python/make_image_fixtures.py): exif_transpose, RGB, centred
 * crop, float BOX resize, normalise. Differences are in normalised units (1/255 of the [0, 1] range is about 0.017).
 * Lossless formats must agree to float rounding (1e-5). JPEGs may differ by the decoders' IDCT (libjpeg-turbo in PIL,
 * the JDK's libjpeg behind TwelveMonkeys): allowed 0.02, about one 8-bit level; on this setup they agree exactly.
 */
class ImagePreprocessorTest {
    private static Map<String, Tensor> reference;

    @BeforeAll
    static void readReference() throws Exception {
        reference = SafeTensors.read(TestPaths.resource("images/reference.safetensors"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "rgb.png, 16, 1e-5", "rgba.png, 16, 1e-5", "palette.png, 16, 1e-5", "gray.png, 16, 1e-5",
        "gray16.png, 16, 1e-5", "rgb16.png, 16, 1e-5", "rgb.gif, 16, 1e-5", "rgb.bmp, 16, 1e-5",
        "rgb.jpg, 16, 0.02", "exif6.jpg, 16, 0.02", "cmyk.jpg, 16, 0.02",
        "n01440764_tench.JPEG, 64, 0.02", "n01530575_brambling.JPEG, 64, 0.02",
        // embedded ICC profiles (a camera's, Adobe RGB), which PIL ignores: converted to sRGB, they differed by 0.24 and 0.74
        "n04147183_schooner.JPEG, 64, 0.02", "n03095699_container_ship.JPEG, 64, 0.02"})
    void matchesPil(String name, int size, double tolerance) throws Exception {
        var file = name.startsWith("n0") ? TestPaths.projectRoot().resolve("data/imagenet-sample").resolve(name)
                : TestPaths.resource("images").resolve(name);
        float[] got = new ImagePreprocessor(size, Preprocessing.IMAGENET).preprocess(file);
        float[] expected = reference.get(name).data();
        assertEquals(expected.length, got.length);
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.abs(got[i] - expected[i]));
        }
        assertTrue(max <= tolerance, name + ": max abs difference " + max + " > " + tolerance);
    }

    @Test
    void exifOrientationsTurnTheImageUpright() {
        // a b c      orientation 6 (rotate clockwise): d a / e b / f c, and so on for every value.
        // d e f
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        int[] abcdef = {1, 2, 3, 4, 5, 6};
        img.setRGB(0, 0, 3, 2, abcdef, 0, 3);
        Map<Integer, int[]> expected = Map.of(
                1, new int[] {1, 2, 3, 4, 5, 6}, 2, new int[] {3, 2, 1, 6, 5, 4}, 3, new int[] {6, 5, 4, 3, 2, 1},
                4, new int[] {4, 5, 6, 1, 2, 3}, 5, new int[] {1, 4, 2, 5, 3, 6}, 6, new int[] {4, 1, 5, 2, 6, 3},
                7, new int[] {6, 3, 5, 2, 4, 1}, 8, new int[] {3, 6, 2, 5, 1, 4});
        for (int o = 1; o <= 8; o++) {
            BufferedImage upright = Orientation.apply(img, o);
            int w = upright.getWidth();
            int[] got = upright.getRGB(0, 0, w, upright.getHeight(), null, 0, w);
            for (int i = 0; i < got.length; i++) {
                got[i] &= 0xffffff;
            }
            assertEquals(o >= 5 ? 2 : 3, w, "width for orientation " + o);
            assertTrue(Arrays.equals(expected.get(o), got), "orientation " + o + ": " + Arrays.toString(got));
        }
    }

    @Test
    void refusesAPixelBombFromItsHeader() throws Exception {
        byte[] png = pngHeaderOnly(30000, 30000);
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> new ImagePreprocessor(64, Preprocessing.IMAGENET).preprocess(png));
        assertTrue(e.getMessage().contains("30000x30000 = 900000000 pixels exceeds the limit of 40000000"), e.getMessage());
    }

    @Test
    void theDefaultPixelLimitFollowsTheInputSizeUpToTheCap() throws Exception {
        assertEquals(4_194_304, new ImagePreprocessor(16, Preprocessing.IMAGENET).maxPixels());
        assertEquals(16_777_216, new ImagePreprocessor(32, Preprocessing.IMAGENET).maxPixels());
        assertEquals(40_000_000, new ImagePreprocessor(64, Preprocessing.IMAGENET).maxPixels());
        assertEquals(40_000_000, new ImagePreprocessor(224, Preprocessing.IMAGENET).maxPixels());
        // 5000 x 4000 = 20 MP: too many for a 32 px model, accepted for a 64 px one.
        byte[] png = pngHeaderOnly(5000, 4000);
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> new ImagePreprocessor(32, Preprocessing.IMAGENET).preprocess(png));
        assertTrue(e.getMessage().contains("5000x4000 = 20000000 pixels exceeds the limit of 16777216"), e.getMessage());
        e = assertThrows(ImageDecodeException.class, () -> new ImagePreprocessor(64, Preprocessing.IMAGENET).preprocess(png));
        assertTrue(e.getMessage().startsWith("unreadable image data"), "past the limit check: " + e.getMessage());
    }

    @Test
    void pixelLimitIsConfigurable() throws Exception {
        byte[] png = Files.readAllBytes(TestPaths.resource("images/rgb.png"));
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> new ImagePreprocessor(16, Preprocessing.IMAGENET, 1000).preprocess(png));
        assertTrue(e.getMessage().contains("40x30 = 1200 pixels exceeds the limit of 1000"), e.getMessage());
    }

    @Test
    void refusesBytesThatAreNotAnImage() {
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        ImageDecodeException e = assertThrows(ImageDecodeException.class,
                () -> new ImagePreprocessor(32, Preprocessing.IMAGENET).preprocess(noise));
        assertTrue(e.getMessage().startsWith("not an image"), e.getMessage());
        e = assertThrows(ImageDecodeException.class,
                () -> new ImagePreprocessor(32, Preprocessing.IMAGENET).preprocess("hello".getBytes(StandardCharsets.US_ASCII)));
        assertTrue(e.getMessage().startsWith("not an image"), e.getMessage());
        assertThrows(ImageDecodeException.class, () -> new ImagePreprocessor(32, Preprocessing.IMAGENET).preprocess(new byte[0]));
    }

    @Test
    void refusesTruncatedImages() throws Exception {
        for (String name : new String[] {"rgb.jpg", "rgb16.png", "rgb.bmp"}) {
            byte[] full = Files.readAllBytes(TestPaths.resource("images").resolve(name));
            byte[] cut = Arrays.copyOf(full, full.length / 3);
            ImageDecodeException e = assertThrows(ImageDecodeException.class,
                    () -> new ImagePreprocessor(16, Preprocessing.IMAGENET).preprocess(cut), name);
            assertTrue(e.getMessage().startsWith("unreadable image data"), name + ": " + e.getMessage());
        }
    }

    @Test
    void refusesJpegsAndPngsCutBeforeTheirEndMarker() throws Exception {
        byte[] tench = Files.readAllBytes(TestPaths.projectRoot().resolve("data/imagenet-sample/n01440764_tench.JPEG"));
        int sos = indexOf(tench, new byte[] {(byte) 0xff, (byte) 0xda});
        byte[] progressive = progressiveJpeg();
        Map<String, byte[]> cut = new java.util.LinkedHashMap<>();
        cut.put("JPEG cut at 50%", Arrays.copyOf(tench, tench.length / 2));
        cut.put("JPEG cut 20 bytes after SOS", Arrays.copyOf(tench, sos + 20));
        cut.put("JPEG without its EOI", Arrays.copyOf(tench, tench.length - 2));
        cut.put("progressive JPEG cut at 60%", Arrays.copyOf(progressive, progressive.length * 3 / 5));
        byte[] png = Files.readAllBytes(TestPaths.resource("images/rgb16.png"));
        cut.put("PNG without its IEND", Arrays.copyOf(png, png.length - 12));
        cut.put("PNG cut inside IEND", Arrays.copyOf(png, png.length - 2));
        ImagePreprocessor preprocessor = new ImagePreprocessor(16, Preprocessing.IMAGENET);
        for (var c : cut.entrySet()) {
            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> preprocessor.preprocess(c.getValue()), c.getKey());
            assertTrue(e.getMessage().startsWith("unreadable image data: truncated"), c.getKey() + ": " + e.getMessage());
        }
        // Whole files pass, also with bytes after the end marker, and a progressive JPEG (several scans) too.
        float[] whole = preprocessor.preprocess(tench);
        byte[] trailing = Arrays.copyOf(tench, tench.length + 100);
        assertTrue(Arrays.equals(whole, preprocessor.preprocess(trailing)));
        assertEquals(3 * 16 * 16, preprocessor.preprocess(progressive).length);
    }

    private static byte[] progressiveJpeg() throws Exception {
        BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                image.setRGB(x, y, (x * 4) << 16 | (y * 5) << 8 | (x * y) & 0xff);
            }
        }
        javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var stream = javax.imageio.ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new javax.imageio.IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        byte[] jpeg = out.toByteArray();
        byte[] sos = {(byte) 0xff, (byte) 0xda};
        int first = indexOf(jpeg, sos);
        assertTrue(indexOf(Arrays.copyOfRange(jpeg, first + 2, jpeg.length), sos) > 0, "the progressive JPEG has several scans");
        return jpeg;
    }

    /** The first index of {@code pattern} in {@code data}, or -1. */
    static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** A PNG whose IHDR claims width x height, followed by one tiny IDAT: the bytes of a decompression bomb's header. */
    private static byte[] pngHeaderOnly(int width, int height) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(width);
        d.writeInt(height);
        d.write(new byte[] {8, 2, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat, new Deflater(9))) {
            z.write(new byte[1 + 3 * 16]);
        }
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] body) throws Exception {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(body.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.write(t);
        d.write(body);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(body);
        d.writeInt((int) crc.getValue());
    }
}
