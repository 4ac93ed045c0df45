package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-model specialisation of the kernels: scan warps split heads evenly and stay within their register budget. */
class KernelBuildTest {
    @Test
    void releasedShapesGetSixteenChannelsPerScanWarp() {
        KernelBuild m35 = KernelBuild.of(new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5), 90, Precision.FP32);
        KernelBuild m135 = KernelBuild.of(new ModelConfig(1024, 20, 1000, 16, 224, 128, 4, 2, 1e-5), 90, Precision.BF16);
        assertEquals(4, m35.statePerLane());
        assertEquals(16, m35.scanChannels());
        assertEquals(16, m135.scanChannels());
        assertEquals(List.of("--gpu-architecture=sm_90", "-std=c++17", "-DMMR_STATE_PER_LANE=4", "-DMMR_SCAN_CHANNELS=16"),
                m35.options());
        assertTrue(m135.options().contains("-DMMR_BF16"));
        assertFalse(m35.options().contains("-DMMR_BF16"));
    }

    @Test
    void scanChannelsDivideTheHeadWithinTheRegisterBudget() {
        for (int headdim = 1; headdim <= 64; headdim++) {
            for (int perLane = 1; perLane <= 8; perLane++) {
                int c = KernelBuild.scanChannels(headdim, perLane);
                assertEquals(0, headdim % c, "headdim " + headdim);
                assertTrue(c * perLane <= Math.max(perLane, KernelBuild.SCAN_REGISTER_BUDGET), headdim + "/" + perLane);
            }
        }
        assertEquals(4, KernelBuild.scanChannels(4, 2));
        assertEquals(8, KernelBuild.scanChannels(8, 8));
        assertEquals(12, KernelBuild.scanChannels(24, 4));
    }

    @Test
    void everySourceAndTheHeaderAreOnTheClasspath() {
        for (String name : KernelBuild.SOURCES) {
            assertTrue(KernelBuild.source(name).contains("#include \"" + KernelBuild.HEADER + "\""), name);
        }
        for (Kernel k : Kernel.values()) {
            assertTrue(KernelBuild.source(k.source).contains("extern \"C\" __global__ void " + k.symbol + "("), k.symbol);
        }
    }
}
