package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The launches cover every element, row or scan group exactly once over, with whole warps and at most a block spare;
 * the tensor scan's shared rows put its lanes' accesses at most two to a bank.
 */
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
    void scanStartsWholeBlocksOfChannelsPerImage() {
        // 35M at full width: di 1024 in blocks of 64 channels (4 warps of 16); at level 8: di 128.
        assertEquals(256 * 16, LaunchGeometry.scan(256, 1024, 64).grid());
        assertEquals(256 * 2, LaunchGeometry.scan(256, 128, 64).grid());
        // Golden model at level 8: di 32 in a block of 128 channels, three quarters idle.
        assertEquals(3, LaunchGeometry.scan(3, 32, 128).grid());
        assertEquals(2 * 2, LaunchGeometry.scan(2, 129, 128).grid());
        assertEquals(LaunchGeometry.SCAN_BLOCK, LaunchGeometry.scan(2, 129, 128).block());
    }

    @Test
    void tensorScanStartsABlockPerImageAndChannelGroupWithRoomForTwoAnSm() {
        // 35M at full width: di 1024 in 16 groups of 64; 197 tokens padded to 208 (13 spans), heads of 16 (4 a group):
        // three tables of the 64 channels, xc 64 x 213, then the B operands of 13 spans in bf16 (the last's for the
        // packed diagonal) and 12 in TF32 (8 n-tiles x 32 lanes x 2 words in bf16, 4 in TF32), two tables of 4 x 208,
        // 13 x 64 span factors and the 4 heads' totals of 7 rounds of 32 tokens (more than the 197 x 64 staged
        // activations: 6,304 words in bf16, 12,608 in TF32), 4 bytes each.
        LaunchGeometry m35 = LaunchGeometry.tensor(256, 197, 1024, 16, true);
        assertEquals(256 * 16, m35.grid());
        assertEquals(LaunchGeometry.TENSOR_BLOCK, m35.block());
        // bf16 builds also stage each of the 8 warps' z for 16 tokens: rows of 64 + 8 bfloat16, 4,608 words.
        assertEquals((3 * 64 + 64 * 213 + 8 * 16 * 72 / 2 + 13 * 8 * 32 * 2 + 2 * 4 * 208 + 13 * 64 + 4 * 7) * 4,
                m35.shared());
        int m35Tf32 = LaunchGeometry.tensor(256, 197, 1024, 16, false).shared();
        assertEquals((3 * 64 + 64 * 213 + 12 * 8 * 32 * 4 + 2 * 4 * 208 + 13 * 64 + 4 * 7) * 4, m35Tf32);
        // Where the prologue's tables are smaller than the staged activations (16 tokens, one span: in TF32 no B
        // operands), the last region is the staged ones': 16 x 64 float32 values, 1,024 words; in bf16 the one span's
        // packed operands make the tables the larger.
        assertEquals((3 * 64 + 64 * (16 + 5) + 1024) * 4, LaunchGeometry.tensorShared(16, 16, false));
        assertTrue(2 * 4 * 16 + 64 + 4 < 1024);
        assertEquals((3 * 64 + 64 * (16 + 5) + 8 * 16 * 72 / 2 + 8 * 32 * 2 + 2 * 4 * 16 + 64 + 4) * 4,
                LaunchGeometry.tensorShared(16, 16, true));
        // Two such blocks an SM, each with the 1 KB the system keeps a block: with the fifth head's tables (the bound
        // of a headdim that does not divide the group) the TF32 block took 116,096 bytes and one block an SM ran.
        assertTrue(2 * (m35Tf32 + 1024) <= 228 * 1024, m35Tf32 + " bytes a block");
        // 135M: di 2048, heads of 32; golden at level 8: di 32, a group partly idle, 65 tokens padded to 80.
        assertEquals(256 * 32, LaunchGeometry.tensor(256, 197, 2048, 32, true).grid());
        assertEquals(3, LaunchGeometry.tensor(3, 65, 32, 4, false).grid());
        for (int headdim : new int[] {16, 24, 32, 128}) {
            for (boolean bf16 : new boolean[] {true, false}) {
                assertTrue(2 * (LaunchGeometry.tensorShared(197, headdim, bf16) + 1024) <= 228 * 1024, "headdim " + headdim);
            }
        }
        // heads of 12 channels at 197 tokens (tiles straddle heads: 7 heads' tables, 12 spans' operands): room in bf16
        // with its staged z, not for TF32's operands; heads of 4 (16 heads' tables): room in neither
        assertTrue(2 * (LaunchGeometry.tensorShared(197, 12, true) + 1024) <= 228 * 1024);
        assertTrue(LaunchGeometry.tensorFits(197, 12, true));
        assertFalse(LaunchGeometry.tensorFits(197, 12, false));
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.tensorShared(197, 12, false));
        assertFalse(LaunchGeometry.tensorFits(197, 4, true));
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.tensorShared(197, 4, true));
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.tensorShared(1000, 16, true));
        // bf16 builds keep the B operands' factors (span heads x padded tokens words) in the staged z's room, 8 warps x
        // 16 x 72 bfloat16 = 4,608 words: heads of 2 channels (32 span heads) fit 82 tokens (96 padded: 3,072 words),
        // not 197 (208: 6,656 words), which is refused for that before the block's size is looked at
        assertTrue(LaunchGeometry.tensorFits(82, 2, true));
        assertFalse(LaunchGeometry.tensorFits(197, 2, true));
        IllegalArgumentException factors = assertThrows(IllegalArgumentException.class,
                () -> LaunchGeometry.tensorShared(197, 2, true));
        assertTrue(factors.getMessage().contains("6656 words, more than its 4608"), factors.getMessage());
    }

    @Test
    void spanHeadsCoversEveryGroupsHeadsAndNoMoreWhereHeaddimDividesTheGroup() {
        int group = LaunchGeometry.TENSOR_CHANNELS;
        for (int headdim = 1; headdim <= 160; headdim++) {
            int most = 0;
            for (int c0 = 0; c0 < group * headdim; c0 += group) {  // every alignment of a group to the heads
                most = Math.max(most, (c0 + group - 1) / headdim - c0 / headdim + 1);
            }
            assertTrue(LaunchGeometry.spanHeads(headdim) >= most, "headdim " + headdim);
            if (group % headdim == 0) {
                assertEquals(most, LaunchGeometry.spanHeads(headdim), "headdim " + headdim);
            }
        }
    }

    @Test
    void tensorScanRowsSpreadItsReadsOverTheBanks() {
        for (int padded = 16; padded <= 1024; padded += 16) {
            int stride = padded + LaunchGeometry.TENSOR_ROW_PAD;
            int[] writes = new int[32];
            for (int channel = 0; channel < 32; channel++) {  // the prologue: 32 channels' xc of one token
                writes[channel * stride % 32]++;
            }
            int[] reads = new int[32];
            int[] skips = new int[32];
            for (int g = 0; g < 8; g++) {
                for (int q = 0; q < 4; q++) {
                    reads[(g * stride + 4 * q) % 32]++;  // the products' operands: lane (g, q), channel g, token 4q
                    skips[(2 * q * stride + g) % 32]++;  // the skip: lane (g, q), channel 2q, token g
                }
            }
            int padding = padded;
            assertEquals(1, Arrays.stream(writes).max().getAsInt(), () -> "P " + padding);
            assertTrue(Arrays.stream(reads).max().getAsInt() <= 2, () -> "P " + padding);
            assertTrue(Arrays.stream(skips).max().getAsInt() <= 2, () -> "P " + padding + ", the skip");
        }
    }

    @Test
    void stagedZRowsSpreadTheEpiloguesReadsOverTheBanks() {
        // bf16 builds: a warp's z rows of TENSOR_CHANNELS + TENSOR_Z_PAD bfloat16 (2 a 4-byte word); the epilogue's lane
        // (g, q) reads one word, row g at channels 8 nt + 2q and 2q + 1, for each n-tile nt
        int rowWords = (LaunchGeometry.TENSOR_CHANNELS + LaunchGeometry.TENSOR_Z_PAD) / 2;
        assertEquals(0, (LaunchGeometry.TENSOR_CHANNELS + LaunchGeometry.TENSOR_Z_PAD) * Short.BYTES % 16,
                "rows of whole 16-byte copies");
        for (int nt = 0; nt < LaunchGeometry.TENSOR_CHANNELS / 8; nt++) {
            int[] banks = new int[32];
            for (int g = 0; g < 8; g++) {
                for (int q = 0; q < 4; q++) {
                    banks[(g * rowWords + 4 * nt + q) % 32]++;
                }
            }
            int tile = nt;
            assertEquals(1, Arrays.stream(banks).max().getAsInt(), () -> "n-tile " + tile);
        }
    }

    @Test
    void emptyAndOversizedLaunchesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.perElement(0));
        assertThrows(IllegalArgumentException.class, () -> LaunchGeometry.perElement(1L << 40));
    }
}
