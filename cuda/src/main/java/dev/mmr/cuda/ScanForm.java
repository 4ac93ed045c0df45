package dev.mmr.cuda;

import java.util.Locale;

/**
 * How a mixer's selective scan is computed. All give the same network: an image's tokens are one SSD chunk, so the
 * quadratic and tiled forms are exact.
 */
public enum ScanForm {
    /** The fused recurrence over each image's tokens ({@code ssm_scan}), state in registers. */
    RECURRENT,
    /**
     * The chunk (SSD) form on tensor cores: per image {@code S = C B^T}, per head the decay-masked
     * {@code W = mask(S) exp(cum_t - cum_s) step_s} and {@code Y = W Xc} as strided batched products.
     */
    QUADRATIC,
    /**
     * The chunk form without W: {@code S = C B^T} per image as in QUADRATIC, then one kernel ({@code ssd_tiled}) that
     * convolves x, sums {@code Y} from S, the decays and Xc in shared-memory tiles on CUDA cores, and gates it.
     */
    TILED;

    /** The form named {@code name} ("recurrent", "quadratic" or "tiled", any case). */
    public static ScanForm parse(String name) {
        for (ScanForm f : values()) {
            if (f.name().equalsIgnoreCase(name.strip())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown scan form '" + name + "' (known: recurrent, quadratic, tiled)");
    }

    /** The form's name as the command line and the benchmark's JSON write it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
