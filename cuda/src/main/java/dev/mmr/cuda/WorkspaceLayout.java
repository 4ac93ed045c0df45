package dev.mmr.cuda;

import dev.mmr.encoder.ModelConfig;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The device memory one forward pass uses, as one allocation carved into {@link Buffer}s at aligned offsets, sized for
 * a batch at full width (a nested width uses the front of each buffer, {@code di} columns a row). The tensor
 * scan's buffer, CB, takes room only where it may run.
 */
final class WorkspaceLayout {
    /** Offsets are multiples of this, so every buffer suits vector loads and cuBLAS's alignment preferences. */
    static final int ALIGN = 256;

    /**
     * The buffers of a pass; "act" buffers hold product inputs (float32, or bfloat16 in bf16 mode). The tensor
     * scan's (float32): {@code CB} C B^T per image (tokens rows of {@link #cbStride} floats); it sums the log decays
     * from {@code DT} itself.
     */
    enum Buffer {
        PIXELS, PATCHES, PROJECTED, RESIDUAL, HIDDEN, U, IN_PROJ, BC, DT, SQUARES, GATED, CLS_SUM, FEATURES, LOGITS,
        CB
    }

    private final int batch;
    private final Map<Buffer, Long> offsets = new EnumMap<>(Buffer.class);
    private final Map<Buffer, Long> sizes = new EnumMap<>(Buffer.class);
    private final long total;

    WorkspaceLayout(ModelConfig c, KernelBuild build, int batch, ScanForm scan) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        this.batch = batch;
        long rows = (long) batch * c.nTokens();
        long patchRows = (long) batch * c.nPatches();
        long d = c.dModel();
        long inner = c.dInner();
        long n = c.dState();
        long s = c.imageSize();
        long k = 3L * c.patchSize() * c.patchSize();
        long actBytes = build.actBytes();
        sizes.put(Buffer.PIXELS, batch * 3 * s * s * actBytes);
        sizes.put(Buffer.PATCHES, patchRows * k * actBytes);
        sizes.put(Buffer.PROJECTED, patchRows * d * Float.BYTES);
        sizes.put(Buffer.RESIDUAL, rows * d * Float.BYTES);
        sizes.put(Buffer.HIDDEN, rows * d * Float.BYTES);
        sizes.put(Buffer.U, rows * d * actBytes);
        sizes.put(Buffer.IN_PROJ, rows * LayerProducts.inWidth(c, c.nHeads()) * actBytes);
        sizes.put(Buffer.BC, rows * 2 * n * Float.BYTES);
        sizes.put(Buffer.DT, rows * c.nHeads() * 2 * Float.BYTES);
        sizes.put(Buffer.SQUARES, rows * build.squareGroups(c.dInner()) * Float.BYTES);
        sizes.put(Buffer.GATED, rows * inner * actBytes);
        sizes.put(Buffer.CLS_SUM, batch * d * Float.BYTES);
        sizes.put(Buffer.FEATURES, batch * d * Float.BYTES);
        sizes.put(Buffer.LOGITS, (long) batch * c.nClasses() * Float.BYTES);
        boolean chunk = scan.usesChunkBuffer();
        long cbPerImage = (long) c.nTokens() * cbStride(c.nTokens());
        sizes.put(Buffer.CB, chunk ? batch * cbPerImage * Float.BYTES : 0);
        long at = 0;
        for (Buffer b : Buffer.values()) {
            offsets.put(b, at);
            at += (sizes.get(b) + ALIGN - 1) / ALIGN * ALIGN;
        }
        total = at;
    }

    /**
     * The row stride of CB, in floats: the tokens rounded up to 4, so that every row starts 16-byte aligned and the
     * tensor scan loads four consecutive columns as one word (the last word of a row may reach into its padding).
     */
    static int cbStride(int tokens) {
        return Math.ceilDiv(tokens, 4) * 4;
    }

    int batch() {
        return batch;
    }

    long offset(Buffer b) {
        return offsets.get(b);
    }

    long bytes(Buffer b) {
        return sizes.get(b);
    }

    /** The buffers that take room: the scan form's own and the rest. */
    List<Buffer> buffers() {
        return Arrays.stream(Buffer.values()).filter(b -> sizes.get(b) > 0).toList();
    }

    /** Bytes of the whole workspace. */
    long total() {
        return total;
    }
}
