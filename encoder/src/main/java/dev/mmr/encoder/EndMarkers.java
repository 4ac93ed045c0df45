package dev.mmr.encoder;

/**
 * Whether JPEG and PNG data run to their format's end: decoders fill the missing part of a cut-off JPEG with grey and
 * only warn, so a truncated file would otherwise be encoded as if whole. A JPEG must reach its EOI marker, found by
 * walking the marker segments and the entropy-coded data of every scan (an EOI inside an embedded EXIF thumbnail does
 * not count); a PNG must reach its IEND chunk. Bytes after the end are allowed, as decoders allow them.
 */
final class EndMarkers {
    private static final int EOI = 0xd9;
    private static final int SOS = 0xda;
    private static final byte[] PNG_IEND = {'I', 'E', 'N', 'D'};

    private EndMarkers() {
    }

    /** Refuses data of {@code format} ("jpeg", "png"; others are not checked here) that ends before its end marker. */
    static void requireComplete(byte[] data, String format) throws ImageDecodeException {
        boolean complete = switch (format) {
            case "jpeg" -> jpegReachesEoi(data);
            case "png" -> pngReachesIend(data);
            default -> true;
        };
        if (!complete) {
            throw new ImageDecodeException("unreadable image data: truncated " + format.toUpperCase(java.util.Locale.ROOT)
                    + " (the data ends before its end marker)");
        }
    }

    static boolean jpegReachesEoi(byte[] b) {
        int pos = 2; // after SOI
        while (true) {
            while (pos < b.length && (b[pos] & 0xff) != 0xff) {
                pos++; // stray bytes before a marker, which decoders skip with a warning
            }
            while (pos < b.length && (b[pos] & 0xff) == 0xff) {
                pos++; // the marker's 0xFF and any fill bytes
            }
            if (pos >= b.length) {
                return false;
            }
            int marker = b[pos++] & 0xff;
            if (marker == EOI) {
                return true;
            }
            if (hasNoLength(marker)) {
                continue; // TEM, RSTn, SOI
            }
            if (pos + 2 > b.length) {
                return false;
            }
            pos += (b[pos] & 0xff) << 8 | b[pos + 1] & 0xff;
            if (marker == SOS) {
                pos = endOfEntropyCodedData(b, pos);
            }
        }
    }

    /** Whether a JPEG marker stands alone, without the length field of a segment: TEM, RST0-7, SOI, EOI. */
    static boolean hasNoLength(int marker) {
        return marker == 0x01 || (marker >= 0xd0 && marker <= 0xd9);
    }

    /** Index of the 0xFF that starts the first marker after entropy-coded data (0xFF00 is a stuffed byte, RSTn in-scan). */
    private static int endOfEntropyCodedData(byte[] b, int pos) {
        for (int i = pos; i + 1 < b.length; i++) {
            if ((b[i] & 0xff) == 0xff) {
                int next = b[i + 1] & 0xff;
                if (next != 0x00 && next != 0xff && (next < 0xd0 || next > 0xd7)) {
                    return i;
                }
            }
        }
        return b.length;
    }

    static boolean pngReachesIend(byte[] b) {
        long pos = 8; // after the signature
        while (pos + 12 <= b.length) {
            int at = (int) pos;
            long length = (b[at] & 0xffL) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
            if (b[at + 4] == PNG_IEND[0] && b[at + 5] == PNG_IEND[1] && b[at + 6] == PNG_IEND[2] && b[at + 7] == PNG_IEND[3]) {
                return true;
            }
            pos += 12 + length;
        }
        return false;
    }
}
