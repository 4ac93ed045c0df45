package dev.mmr.cuda;

import java.util.Locale;

/**
 * How a mixer's selective scan is computed. Both give the same network: an image's tokens are one SSD chunk, so the
 * tiled form is exact.
 */
public enum ScanForm {
    /** The fused recurrence over each image's tokens ({@code ssm_scan}), state in registers. */
    RECURRENT,
    /**
     * The SSD chunk (quadratic) form's sum {@code y_t = sum over s <= t of CB[t][s] exp(cum_t - cum_s) step_s xc_s}
     * without materialising its weights: {@code CB = C B^T} per image as a strided batched product, then one kernel
     * ({@code ssd_tiled}) that convolves x, sums y in shared-memory tiles on CUDA cores, and gates it.
     */
    TILED;

    /** The form named {@code name} ("recurrent" or "tiled", any case). */
    public static ScanForm parse(String name) {
        for (ScanForm f : values()) {
            if (f.name().equalsIgnoreCase(name.strip())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown scan form '" + name + "' (known: recurrent, tiled)");
    }

    /** The form's name as the command line and the benchmark's JSON write it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
