package dev.mmr.encoder;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;

/**
 * EXIF orientation (TIFF tag 0x0112, values 1 to 8) of a JPEG, and turning an image upright by it, as PIL's
 * {@code ImageOps.exif_transpose} does. A missing or damaged EXIF block counts as orientation 1 (as taken).
 */
final class Orientation {
    private static final int TAG_ORIENTATION = 0x0112;

    private Orientation() {
    }

    /** The EXIF orientation of JPEG bytes; 1 for any other format or when absent or unreadable. */
    static int ofJpeg(byte[] b) {
        if (b.length < 4 || (b[0] & 0xff) != 0xff || (b[1] & 0xff) != 0xd8) {
            return 1;
        }
        int pos = 2;
        while (pos + 4 <= b.length && (b[pos] & 0xff) == 0xff) {
            int marker = b[pos + 1] & 0xff;
            if (marker == 0xda || marker == 0xd9) {
                return 1; // start of scan or end of image: no EXIF before the pixels
            }
            int length = u16(b, pos + 2, false);
            if (length < 2) {
                return 1;
            }
            int segment = pos + 4;
            if (marker == 0xe1 && segment + 6 <= b.length && new String(b, segment, 6, StandardCharsets.ISO_8859_1).equals("Exif\0\0")) {
                return fromTiff(b, segment + 6, Math.min(b.length, pos + 2 + length));
            }
            pos += 2 + length;
        }
        return 1;
    }

    private static int fromTiff(byte[] b, int tiff, int end) {
        if (tiff + 8 > end) {
            return 1;
        }
        boolean little;
        if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
            little = true;
        } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        long ifd = tiff + (u32(b, tiff + 4, little) & 0xffffffffL);
        if (ifd + 2 > end) {
            return 1;
        }
        int entries = u16(b, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int entry = (int) ifd + 2 + 12 * i;
            if (entry + 12 > end) {
                return 1;
            }
            if (u16(b, entry, little) == TAG_ORIENTATION) {
                int value = u16(b, entry + 8, little);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    /** The image turned upright for an EXIF orientation; the same image for orientation 1. */
    static BufferedImage apply(BufferedImage src, int orientation) {
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
                    default -> throw new IllegalArgumentException("EXIF orientation must be 1 to 8, got " + orientation);
                }
                out.setRGB(x, y, row[sx]);
            }
        }
        return out;
    }

    private static int u16(byte[] b, int at, boolean little) {
        int lo = little ? b[at] & 0xff : b[at + 1] & 0xff;
        int hi = little ? b[at + 1] & 0xff : b[at] & 0xff;
        return hi << 8 | lo;
    }

    private static int u32(byte[] b, int at, boolean little) {
        return little ? u16(b, at, true) | u16(b, at + 2, true) << 16 : u16(b, at, false) << 16 | u16(b, at + 2, false);
    }
}
