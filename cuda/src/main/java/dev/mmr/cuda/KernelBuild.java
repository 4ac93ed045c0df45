package dev.mmr.cuda;

import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * How the kernels are compiled for one model on one device: the target architecture (the device's own, {@code sm_XY})
 * and the model-specific constants the scan is specialised for. The same options go to NVRTC at run time and to
 * {@code nvcc} in the build's compile test.
 *
 * @param arch          compute capability as major * 10 + minor (90 for Hopper)
 * @param statePerLane  state rows each lane of a scan warp holds: ceil(d_state / 32)
 * @param scanChannels  channels of one head that one scan warp carries (a divisor of headdim)
 * @param bf16          whether product inputs are bfloat16 (else float32)
 */
record KernelBuild(int arch, int statePerLane, int scanChannels, boolean bf16) {
    /** The kernel sources, compiled one NVRTC program each, and the header they share. */
    static final List<String> SOURCES = List.of("embed.cu", "mixer.cu");
    static final String HEADER = "common.cuh";
    /** Resource folder of the sources, relative to this class. */
    static final String FOLDER = "kernels/";
    /** Scan state registers per lane that the scan kernel stays within (statePerLane * scanChannels). */
    static final int SCAN_REGISTER_BUDGET = 64;
    private static final int MAX_SCAN_CHANNELS = 16;

    static KernelBuild of(ModelConfig config, int arch, Precision precision) {
        int statePerLane = (config.dState() + 31) / 32;
        return new KernelBuild(arch, statePerLane, scanChannels(config.headdim(), statePerLane),
                precision == Precision.BF16);
    }

    /** The largest divisor of {@code headdim} within both the per-warp channel cap and the register budget. */
    static int scanChannels(int headdim, int statePerLane) {
        int cap = Math.max(1, Math.min(MAX_SCAN_CHANNELS, SCAN_REGISTER_BUDGET / statePerLane));
        for (int c = Math.min(cap, headdim); c > 1; c--) {
            if (headdim % c == 0) {
                return c;
            }
        }
        return 1;
    }

    /** Compiler options, valid for NVRTC and nvcc alike. */
    List<String> options() {
        List<String> options = new ArrayList<>(List.of("--gpu-architecture=sm_" + arch, "-std=c++17",
                "-DMMR_STATE_PER_LANE=" + statePerLane, "-DMMR_SCAN_CHANNELS=" + scanChannels));
        if (bf16) {
            options.add("-DMMR_BF16");
        }
        return options;
    }

    /** The text of a kernel source or header. */
    static String source(String name) {
        try (InputStream in = KernelBuild.class.getResourceAsStream(FOLDER + name)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + FOLDER + name + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
