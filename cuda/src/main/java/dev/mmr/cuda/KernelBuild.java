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
 * and the model's constants the mixer kernels are specialised for. The same options go to NVRTC at run time and to
 * {@code nvcc} in the build's compile test.
 *
 * @param arch         compute capability as major * 10 + minor (90 for Hopper)
 * @param dState       N, the state rows of one channel
 * @param dConv        taps of the causal convolution (at least 2)
 * @param stateSplit   lanes of a scan warp that share one channel's state (a power of two dividing 32)
 * @param statePerLane state rows each of those lanes holds: N / stateSplit rounded up to a multiple of 4
 * @param bf16         whether product inputs are bfloat16 (else float32)
 * @param xCopy        activations the tensor scan loads as one word when it stages a head's x ({@link #xCopy(int, int,
 *                     boolean)})
 * @param tilesWithinHeads whether every n-tile of the tensor scan's products (8 channels from a multiple of 8) lies
 *                     within one head, headdim being a multiple of 8 (every released shape): its channels then share
 *                     their decays, which the scan computes once a tile
 */
record KernelBuild(int arch, int dState, int dConv, int stateSplit, int statePerLane, boolean bf16, int xCopy,
                   boolean tilesWithinHeads) {
    /** The kernel sources, compiled one NVRTC program each, and the header they share. */
    static final List<String> SOURCES = List.of("embed.cu", "mixer.cu");
    static final String HEADER = "common.cuh";
    /** Resource folder of the sources, relative to this class. */
    static final String FOLDER = "kernels/";
    /** State rows (registers) per lane the scan stays within: a channel's state is split over lanes above it. */
    static final int SCAN_STATE_BUDGET = 64;

    KernelBuild {
        if (stateSplit <= 0 || LaunchGeometry.WARP % stateSplit != 0 || statePerLane % 4 != 0
                || (long) statePerLane * stateSplit < dState || dState <= 0) {
            throw new IllegalArgumentException("no scan of " + dState + " state rows as " + stateSplit + " lanes of "
                    + statePerLane);
        }
        if (dConv < 2) {
            throw new IllegalArgumentException("the cuda backend needs d_conv of at least 2, got " + dConv);
        }
        int xBytes = xCopy * (bf16 ? Short.BYTES : Float.BYTES);
        if (xCopy <= 0 || Integer.bitCount(xCopy) != 1 || xBytes < 4 || xBytes > 16 || 2 * dState % xCopy != 0) {
            throw new IllegalArgumentException("no x staging by words of " + xCopy + " activations with N " + dState);
        }
    }

    /** Channels of one n-tile of the tensor scan's products (mma.sync's n). */
    static final int TENSOR_TILE = 8;
    /** Consecutive tokens of an image one conv_bc_dt thread covers. */
    static final int CONV_TOKENS = 8;
    /** The widest residual row the row kernels hold in registers (embed.cu: 32 lanes x MMR_ROW_QUADS quads of 4). */
    static final int MAX_D_MODEL = 1024;

    static KernelBuild of(ModelConfig config, int arch, Precision precision) {
        if (config.dModel() > MAX_D_MODEL) {
            throw new IllegalArgumentException("the cuda backend's row kernels hold a residual row in registers: d_model at"
                    + " most " + MAX_D_MODEL + ", this model has " + config.dModel());
        }
        // Also what the row kernels' 16-byte quads rely on (embed.cu): d_model a multiple of 4.
        if (config.headdim() % 2 != 0) {
            throw new IllegalArgumentException("the cuda backend loads each head's z and x as pairs of channels: headdim"
                    + " (d_model / 32) must be even, d_model a multiple of 64; this model has d_model " + config.dModel());
        }
        int n = config.dState();
        int split = 1;
        while (split < LaunchGeometry.WARP && statePerLane(n, split) > SCAN_STATE_BUDGET) {
            split *= 2;
        }
        boolean bf16 = precision == Precision.BF16;
        return new KernelBuild(arch, n, config.dConv(), split, statePerLane(n, split), bf16, xCopy(n, config.headdim(), bf16),
                headsAreWholeTiles(config.headdim()));
    }

    /** Whether every n-tile of the tensor scan's products lies within one head: headdim a multiple of 8. */
    static boolean headsAreWholeTiles(int headdim) {
        return headdim % TENSOR_TILE == 0;
    }

    /**
     * Activations in the widest word, 4 to 16 bytes (cp.async's sizes), to which every head's x columns in an in_proj
     * row and the rows themselves are aligned (mixer.cu, z_column; {@link LayerProducts#inWidth}): a power of two
     * dividing 2N, headdim and {@link LayerProducts#DT_GROUP}, so that the tensor scan stages a head's x in whole
     * aligned words.
     */
    static int xCopy(int dState, int headdim, boolean bf16) {
        int copy = 16 / (bf16 ? Short.BYTES : Float.BYTES);
        while (2 * dState % copy != 0 || headdim % copy != 0 || LayerProducts.DT_GROUP % copy != 0) {
            copy /= 2;
        }
        return copy;
    }

    /** State rows per lane when {@code split} lanes share N: N / split rounded up to a multiple of 4. */
    static int statePerLane(int dState, int split) {
        return ((dState + split - 1) / split + 3) / 4 * 4;
    }

    /** Channels one scan warp carries. */
    int channelsPerWarp() {
        return LaunchGeometry.WARP / stateSplit;
    }

    /** Channels one scan block carries. */
    int channelsPerBlock() {
        return channelsPerWarp() * LaunchGeometry.SCAN_BLOCK / LaunchGeometry.WARP;
    }

    /** The per-warp sums of squares the scan leaves for a row of {@code di} channels. */
    int squareGroups(int di) {
        return (di + channelsPerWarp() - 1) / channelsPerWarp();
    }

    /** Bytes of one element of a product input: bfloat16 or float32. */
    int actBytes() {
        return bf16 ? Short.BYTES : Float.BYTES;
    }

    /**
     * Compiler options, valid for NVRTC and nvcc alike. {@code -lineinfo} adds line tables only (the code is the same),
     * so that Nsight Compute can tell a profile's stalls by source line.
     */
    List<String> options() {
        List<String> options = new ArrayList<>(List.of("--gpu-architecture=sm_" + arch, "-std=c++17", "-lineinfo",
                "-DMMR_D_STATE=" + dState, "-DMMR_D_CONV=" + dConv, "-DMMR_STATE_SPLIT=" + stateSplit,
                "-DMMR_STATE_PER_LANE=" + statePerLane, "-DMMR_SCAN_WARPS=" + LaunchGeometry.SCAN_BLOCK / LaunchGeometry.WARP,
                "-DMMR_CONV_TOKENS=" + CONV_TOKENS, "-DMMR_TENSOR_CHANNELS=" + LaunchGeometry.TENSOR_CHANNELS,
                "-DMMR_TENSOR_THREADS=" + LaunchGeometry.TENSOR_BLOCK, "-DMMR_TENSOR_ROW_PAD=" + LaunchGeometry.TENSOR_ROW_PAD,
                "-DMMR_TENSOR_Z_PAD=" + LaunchGeometry.TENSOR_Z_PAD, "-DMMR_DT_GROUP=" + LayerProducts.DT_GROUP,
                "-DMMR_X_COPY=" + xCopy));
        if (bf16) {
            options.add("-DMMR_BF16");
        }
        if (tilesWithinHeads) {
            options.add("-DMMR_TILES_WITHIN_HEADS");
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
