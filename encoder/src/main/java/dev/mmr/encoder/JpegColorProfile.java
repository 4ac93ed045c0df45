package dev.mmr.encoder;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JPEG's embedded ICC colour profile (APP2 segments that begin "ICC_PROFILE\0"), taken out before the model's input
 * is decoded. The reference preprocessing (PIL, with which the models were trained and their reference tensors made)
 * ignores embedded profiles and reads the samples as they are; the JPEG reader here would convert an image with a
 * profile other than sRGB into sRGB (a camera's or Adobe RGB photo then differs from PIL's tensor by up to 0.74 in
 * normalised units) and looks up even an sRGB profile in a cache shared by all threads. Without the segments both
 * decode the same samples. Thumbnails, which people look at, keep the conversion.
 */
final class JpegColorProfile {
    private static final int SOS = 0xda;
    private static final int APP2 = 0xe2;
    private static final byte[] ICC_SIGNATURE = "ICC_PROFILE\0".getBytes(StandardCharsets.US_ASCII);

    private JpegColorProfile() {
    }

    /**
     * The JPEG data without its ICC profile segments, or {@code data} itself when it is no JPEG, has none, or its
     * header cannot be walked (the decoder then reports what is wrong). Only the header, up to the first scan, is read.
     */
    static byte[] withoutProfile(byte[] data) {
        if (data.length < 4 || (data[0] & 0xff) != 0xff || (data[1] & 0xff) != 0xd8) {
            return data;
        }
        ByteArrayOutputStream kept = null;
        int copiedUpTo = 0;
        int pos = 2;
        while (pos + 4 <= data.length && (data[pos] & 0xff) == 0xff) {
            int marker = data[pos + 1] & 0xff;
            if (marker == SOS || marker == 0xff || EndMarkers.hasNoLength(marker)) {
                break; // the first scan, a fill byte or a marker without a length: the header walk ends here
            }
            int end = pos + 2 + ((data[pos + 2] & 0xff) << 8 | data[pos + 3] & 0xff);
            if (end > data.length) {
                break;
            }
            if (marker == APP2 && isIccSegment(data, pos + 4, end)) {
                if (kept == null) {
                    kept = new ByteArrayOutputStream(data.length);
                }
                kept.write(data, copiedUpTo, pos - copiedUpTo);
                copiedUpTo = end;
            }
            pos = end;
        }
        if (kept == null) {
            return data;
        }
        kept.write(data, copiedUpTo, data.length - copiedUpTo);
        return kept.toByteArray();
    }

    private static boolean isIccSegment(byte[] data, int payload, int end) {
        return end - payload >= ICC_SIGNATURE.length
                && Arrays.equals(data, payload, payload + ICC_SIGNATURE.length, ICC_SIGNATURE, 0, ICC_SIGNATURE.length);
    }
}
