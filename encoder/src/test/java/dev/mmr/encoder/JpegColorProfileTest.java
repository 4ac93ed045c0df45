package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The profile segments of a JPEG are cut out exactly, and data without them passes through untouched. */
class JpegColorProfileTest {

    private static byte[] photo(String name) throws Exception {
        return Files.readAllBytes(TestPaths.projectRoot().resolve("data/imagenet-sample").resolve(name));
    }

    private static int indexOf(byte[] data, String text) {
        return ImagePreprocessorTest.indexOf(data, text.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void takesOutTheProfileAndNothingElse() throws Exception {
        byte[] withProfile = photo("n03095699_container_ship.JPEG");
        assertTrue(indexOf(withProfile, "ICC_PROFILE") > 0, "the fixture carries a profile");
        byte[] without = JpegColorProfile.withoutProfile(withProfile);
        assertEquals(-1, indexOf(without, "ICC_PROFILE"));
        // What is left is the original with exactly its one APP2 segment (marker, length, payload) cut out.
        int segment = indexOf(withProfile, "ICC_PROFILE") - 4;
        assertEquals(0xe2, withProfile[segment + 1] & 0xff);
        int length = 2 + ((withProfile[segment + 2] & 0xff) << 8 | withProfile[segment + 3] & 0xff);
        byte[] expected = new byte[withProfile.length - length];
        System.arraycopy(withProfile, 0, expected, 0, segment);
        System.arraycopy(withProfile, segment + length, expected, segment, withProfile.length - segment - length);
        assertArrayEquals(expected, without);
    }

    @Test
    void leavesOtherDataAlone() throws Exception {
        byte[] plain = photo("n01440764_tench.JPEG");
        assertSame(plain, JpegColorProfile.withoutProfile(plain));
        byte[] png = Files.readAllBytes(TestPaths.resource("images").resolve("rgb.png"));
        assertSame(png, JpegColorProfile.withoutProfile(png));
        byte[] cut = Arrays.copyOf(photo("n03095699_container_ship.JPEG"), 40); // header cut inside the profile segment
        assertSame(cut, JpegColorProfile.withoutProfile(cut));
        byte[] empty = new byte[0];
        assertSame(empty, JpegColorProfile.withoutProfile(empty));
    }
}
