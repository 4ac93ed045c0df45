package dev.mmr.encoder;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.imaging.jpeg.JpegProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;

/**
 * EXIF orientation (TIFF tag 0x0112, values 1 to 8) of a JPEG, read with metadata-extractor, and turning an image
 * upright by it, as PIL's {@code ImageOps.exif_transpose} does. A missing or damaged EXIF block counts as
 * orientation 1 (as taken).
 */
final class Orientation {
    private Orientation() {
    }

    /** The EXIF orientation of JPEG bytes; 1 for any other format or when absent or unreadable. */
    static int ofJpeg(byte[] bytes) {
        try {
            Metadata metadata = JpegMetadataReader.readMetadata(new ByteArrayInputStream(bytes), List.of(new ExifReader()));
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            Integer value = exif == null ? null : exif.getInteger(ExifIFD0Directory.TAG_ORIENTATION);
            return value != null && value >= 1 && value <= 8 ? value : 1;
        } catch (JpegProcessingException | IOException | RuntimeException damaged) {
            return 1; // not a JPEG, or a damaged EXIF block: as taken, like PIL
        }
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
}
