package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-model specialisation of the kernels: scan warps split heads evenly and stay within their register budget. */
class KernelBuildTest {
    @Test
    void releasedShapesSplitEachChannelsStateOverTwoLanes() {
        KernelBuild m35 = KernelBuild.of(new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5), 90, Precision.FP32);
        KernelBuild m135 = KernelBuild.of(new ModelConfig(1024, 20, 1000, 16, 224, 128, 4, 2, 1e-5), 90, Precision.BF16);
        assertEquals(2, m35.stateSplit());
        assertEquals(64, m35.statePerLane());
        assertEquals(16, m35.channelsPerWarp());
        assertEquals(64, m35.channelsPerBlock());
        assertEquals(64, m35.squareGroups(1024));
        assertEquals(List.of("--gpu-architecture=sm_90", "-std=c++17", "-lineinfo", "-DMMR_D_STATE=128", "-DMMR_D_CONV=4",
                "-DMMR_STATE_SPLIT=2", "-DMMR_STATE_PER_LANE=64", "-DMMR_SCAN_WARPS=4", "-DMMR_CONV_TOKENS=8",
                "-DMMR_TENSOR_CHANNELS=64", "-DMMR_TENSOR_THREADS=256", "-DMMR_TENSOR_ROW_PAD=5", "-DMMR_TENSOR_Z_PAD=8", "-DMMR_DT_GROUP=8",
                "-DMMR_X_COPY=4", "-DMMR_TILES_WITHIN_HEADS"), m35.options());
        assertTrue(m135.options().contains("-DMMR_BF16"));
        assertFalse(m35.options().contains("-DMMR_BF16"));
        assertTrue(m135.tilesWithinHeads());
    }

    @Test
    void aResidualRowWiderThanTheRowKernelsHoldIsRefused() {
        KernelBuild.of(new ModelConfig(KernelBuild.MAX_D_MODEL, 1, 10, 16, 32, 16, 4, 2, 1e-5), 90, Precision.FP32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelBuild.of(
                new ModelConfig(KernelBuild.MAX_D_MODEL + 32, 1, 10, 16, 32, 16, 4, 2, 1e-5), 90, Precision.FP32));
        assertTrue(e.getMessage().contains("d_model at most 1024"), e.getMessage());
    }

    @Test
    void anOddHeaddimIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelBuild.of(
                new ModelConfig(96, 1, 10, 16, 32, 16, 4, 2, 1e-5), 90, Precision.BF16));
        assertTrue(e.getMessage().contains("headdim (d_model / 32) must be even"), e.getMessage());
    }

    @Test
    void everyStateSizeFitsTheRegisterBudgetInWholeGroupsOfFour() {
        for (int n = 1; n <= ModelConfig.MAX_D_STATE; n++) {
            KernelBuild b = KernelBuild.of(new ModelConfig(128, 1, 10, 4, 32, n, 4, 2, 1e-5), 90, Precision.FP32);
            assertEquals(0, b.statePerLane() % 4, "N " + n);
            assertTrue(b.statePerLane() <= KernelBuild.SCAN_STATE_BUDGET, "N " + n);
            assertTrue((long) b.statePerLane() * b.stateSplit() >= n, "N " + n);
            assertEquals(0, LaunchGeometry.WARP % b.stateSplit(), "N " + n);
        }
        assertEquals(1, KernelBuild.of(new ModelConfig(128, 1, 10, 4, 32, 64, 4, 2, 1e-5), 90, Precision.FP32).stateSplit());
        assertEquals(24, KernelBuild.statePerLane(22, 1));
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 64, 4, 3, 24, false, 4, false));
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 64, 4, 2, 30, false, 4, false));
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 64, 1, 1, 64, false, 4, false));
    }

    @Test
    void theTensorScanStagesXInTheWidestWordEveryHeadsColumnsAreAlignedTo() {
        // 135M, 35M and the CIFAR-10 shape: 16 bytes in either precision
        assertEquals(8, KernelBuild.xCopy(128, 32, true));
        assertEquals(8, KernelBuild.xCopy(128, 16, true));
        assertEquals(8, KernelBuild.xCopy(64, 8, true));
        assertEquals(4, KernelBuild.xCopy(128, 16, false));
        // the golden model's heads of 4 channels; N 22, whose B and C rows put x 44 columns on; heads of 2 channels
        assertEquals(4, KernelBuild.xCopy(64, 4, true));
        assertEquals(4, KernelBuild.xCopy(22, 24, true));
        assertEquals(2, KernelBuild.xCopy(16, 2, true));
        assertEquals(2, KernelBuild.xCopy(16, 2, false));
        // every head's first x row of in_proj (the device's order) and the row width at every nested head count are
        // multiples of the word
        for (int n : new int[] {16, 22, 64, 128}) {
            for (int headdim : new int[] {2, 4, 8, 16, 24, 32}) {
                ModelConfig c = new ModelConfig(32 * headdim, 1, 10, 4, 32, n, 4, 2, 1e-5);
                int copy = KernelBuild.xCopy(n, headdim, true);
                int[] order = LayerProducts.inProjRowOrder(c);
                for (int r = 0; r < order.length; r++) {
                    int x = order[r] - c.dInner();
                    if (x >= 0 && x < c.dInner() && x % headdim == 0) {
                        assertEquals(0, r % copy, "N " + n + " headdim " + headdim + ": head " + x / headdim);
                    }
                }
                for (int heads = 1; heads <= c.nHeads(); heads++) {
                    assertEquals(0, LayerProducts.inWidth(c, heads) % copy, "N " + n + " headdim " + headdim);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 64, 4, 1, 64, true, 16, false));
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 22, 4, 1, 24, true, 8, false));
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 64, 4, 1, 64, false, 3, false));
        assertThrows(IllegalArgumentException.class, () -> new KernelBuild(90, 64, 4, 1, 64, true, 1, false));
    }

    @Test
    void theTensorScanSharesDecaysByTileOnlyWhereEveryTileLiesWithinOneHead() {
        for (int headdim : new int[] {2, 4, 6, 8, 16, 24, 32}) {
            KernelBuild b = KernelBuild.of(new ModelConfig(32 * headdim, 1, 10, 4, 32, 16, 4, 2, 1e-5), 90, Precision.BF16);
            assertEquals(headdim % 8 == 0, b.tilesWithinHeads(), "headdim " + headdim);
            assertEquals(b.tilesWithinHeads(), b.options().contains("-DMMR_TILES_WITHIN_HEADS"), "headdim " + headdim);
        }
    }

    @Test
    void everySourceAndTheHeaderAreOnTheClasspath() {
        for (String name : KernelBuild.SOURCES) {
            assertTrue(KernelBuild.source(name).contains("#include \"" + KernelBuild.HEADER + "\""), name);
        }
        for (Kernel k : Kernel.values()) {
            assertTrue(KernelSignature.declaration(k).matcher(KernelBuild.source(k.source)).find(), k.symbol);
        }
    }
}
