package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The launches cover every element, row or scan group exactly once over, with whole warps and at most a block spare. */
class LaunchGeometryTest {
    @Test
    void perElementCoversEveryElementWithLessThanABlockSpare() {
        for (long n : new long[] {1, 255, 256, 257, 256L * 197 * 512}) {
            LaunchGeometry g = LaunchGeometry.perElement(n);
            long threads = (long) g.grid() * g.block();
            assertTrue(threads >= n && threads - n < g.block(), n + " elements: " + g);
        }
    }

    @Test
    void perRowGivesEachRowAWarp() {
        for (long rows : new long[] {1, 8, 9, 256L * 197}) {
            LaunchGeometry g = LaunchGeometry.perRow(rows);
            assertTrue(g.warps() >= rows && g.warps() - rows < g.block() / LaunchGeometry.WARP, rows + " rows: " + g);
        }
    }

    @Test
    void scanStartsOneWarpPerImageAndChannelGroup() {
        // 35M at full width: di 1024, groups of 16 channels; at level 8: di 128.
        assertEquals(256L * 64, LaunchGeometry.scan(256, 1024, 16).warps());
        assertEquals(256L * 8, LaunchGeometry.scan(256, 128, 16).warps());
        // Golden model at level 8: di 32, headdim 4.
        LaunchGeometry tiny = LaunchGeometry.scan(3, 32, 4);
        assertTrue(tiny.warps() >= 3 * 8 && tiny.warps() - 3 * 8 < LaunchGeometry.SCAN_BLOCK / LaunchGeometry.WARP);
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.scan(4, 36, 16));
    }

    @Test
    void emptyAndOversizedLaunchesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.perElement(0));
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.perElement(1L << 40));
    }
}
