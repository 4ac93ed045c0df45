package dev.mmr.encoder;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.imaging.jpeg.JpegProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
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

    /** The image turned upright for an EXIF orientation, as {@code TYPE_INT_RGB}; the same image for orientation 1. */
    static BufferedImage apply(BufferedImage src, int orientation) {
        if (orientation == 1) {
            return src;
        }
        if (orientation < 1 || orientation > 8) {
            throw new IllegalArgumentException("EXIF orientation must be 1 to 8, got " + orientation);
        }
        RgbRows rows = RgbRows.of(src);
        int w = rows.width;
        int h = rows.height;
        boolean swap = orientation >= 5;
        int outWidth = swap ? h : w;
        BufferedImage out = new BufferedImage(outWidth, swap ? w : h, BufferedImage.TYPE_INT_RGB);
        int[] pixels = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int[] row = new int[w];
        for (int sy = 0; sy < h; sy++) {
            rows.read(sy, 0, w, row, 0);
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
                    default -> { x = sy; y = w - 1 - sx; } // 8
                }
                pixels[y * outWidth + x] = row[sx];
            }
        }
        return out;
    }
}
