package dev.mmr.cuda;

import dev.mmr.encoder.Precision;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a mixer's selective scan is computed. All give the same network: an image's tokens are one SSD chunk, so the
 * chunk form on tensor cores is exact up to its products' rounding.
 */
public enum ScanForm {
    /** The fused recurrence over each image's tokens ({@code ssm_scan}), state in registers. */
    RECURRENT,
    /**
     * The SSD chunk (quadratic) form's sum {@code y_t = sum over s <= t of CB[t][s] exp(cum_t - cum_s) step_s xc_s}
     * on tensor cores, without materialising its weights: {@code CB = C B^T} per image as a strided batched product,
     * then one kernel ({@code ssd_tensor}, mma.sync) per image and group of 64 channels that sums its heads' log
     * decays ({@code cum_t}, from the steps) and convolves x once into shared memory, then multiplies CB (the decay
     * split into per-span and per-row factors, so the spans before a token's own take the plain CB, shared by every
     * head) by {@code step_s xc_s} in bfloat16 (bf16 mode) or TF32 (tf32 mode) with float32 sums. Tensor-core inputs
     * would lose fp32 mode's accuracy, so in fp32 mode this form runs the recurrence ({@link #in}).
     */
    TENSOR,
    /**
     * Chosen per layer by its inner width: {@link #TENSOR} from {@link #TENSOR_FROM_CHANNELS} channels up (and where
     * an image's tokens fit its shared memory), {@link #RECURRENT} below, whose widths no benchmark row has (an H100's
     * table, docs/gpu.md: at the 35M shape's level 8, 128 channels, the tensor form gave 30,102 images/s in bf16
     * against the recurrence's 23,170, and 22,670 against 21,097 in tf32; from 256 channels it won or tied in every
     * cell). In fp32 mode, as {@link #TENSOR}, the recurrence everywhere.
     */
    AUTO;

    /** The inner width (channels) from which {@link #AUTO} runs a layer's scan on tensor cores. */
    static final int TENSOR_FROM_CHANNELS = 128;

    /** The form that runs for this one in {@code precision}: {@link #TENSOR} and {@link #AUTO} run {@link #RECURRENT} in fp32 mode. */
    public ScanForm in(Precision precision) {
        return (this == TENSOR || this == AUTO) && precision == Precision.FP32 ? RECURRENT : this;
    }

    /**
     * The form that computes a layer of {@code di} channels over {@code tokens} tokens with heads of {@code headdim}
     * channels in a bf16 build or not: {@link #AUTO} chooses as it says; every other form is itself.
     */
    ScanForm forLayer(int di, int tokens, int headdim, boolean bf16) {
        if (this != AUTO) {
            return this;
        }
        return di >= TENSOR_FROM_CHANNELS && LaunchGeometry.tensorFits(tokens, headdim, bf16) ? TENSOR : RECURRENT;
    }

    /** Whether a layer in this form may need the tensor scan's buffer (CB). */
    boolean usesChunkBuffer() {
        return this != RECURRENT;
    }

    /** The form named {@code name} (a {@link #label}, any case). */
    public static ScanForm parse(String name) {
        for (ScanForm f : values()) {
            if (f.name().equalsIgnoreCase(name.strip())) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown scan form '" + name + "' (known: "
                + Arrays.stream(values()).map(ScanForm::label).collect(Collectors.joining(", ")) + ")");
    }

    /** The form's name as the command line and the benchmark's JSON write it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
