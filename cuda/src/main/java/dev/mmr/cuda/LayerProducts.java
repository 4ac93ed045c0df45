package dev.mmr.cuda;

import dev.mmr.encoder.ModelConfig;

/**
 * The two products of one mixer at width {@code w} on {@code rows} tokens. in_proj is kept on the device with its rows
 * reordered ({@link #inProjRowOrder}): B, C, then the heads in groups of {@link #DT_GROUP}, each group its heads' dt
 * rows followed by each head's z rows and x rows, so that every nested width's in_proj product is one block of leading
 * rows ({@link #inWidth}), with output columns in that order. out_proj's product uses its first {@code di} columns, as
 * the CPU network (MatMambaNetwork.mix) does. {@code di = expand * w}, {@code heads = di / headdim}.
 */
record LayerProducts(int di, int heads, Gemm in, Gemm out) {

    /**
     * Heads whose dt rows lead their z and x rows (mixer.cu: MMR_DT_GROUP). A head's z and x then start at an even
     * column (with an even headdim; at a multiple of 8 where N and headdim are multiples of 4), where one dt row per
     * head put every second head's at an odd one, so the scans load two channels' z as one word. Its cost: a width
     * whose heads are not a multiple of the group computes up to 7 unused dt columns (the levels' 64, 32, 16 and 8
     * heads compute none).
     */
    static final int DT_GROUP = 8;

    static LayerProducts of(ModelConfig c, int rows, int width) {
        int d = c.dModel();
        int inner = c.dInner();
        int di = c.expand() * width;
        if (width <= 0 || width > d || di % c.headdim() != 0) {
            throw new IllegalArgumentException("width " + width + " is not a nested width of d_model " + d
                    + " with headdim " + c.headdim());
        }
        int heads = di / c.headdim();
        return new LayerProducts(di, heads, Gemm.linear(rows, inWidth(c, heads), d, 0, d), Gemm.linear(rows, d, di, 0, inner));
    }

    /** Columns of the in_proj product with {@code heads} heads: B, C, then their groups' dt, z and x columns. */
    static int inWidth(ModelConfig c, int heads) {
        return 2 * c.dState() + DT_GROUP * Math.ceilDiv(heads, DT_GROUP) + heads * 2 * c.headdim();
    }

    /**
     * The stored in_proj row that row r of the device's copy holds, or -1 for a row of zeros (the dt rows of a last
     * group's missing heads). Stored: z [0, dInner), x [dInner, 2 dInner), B, C [2 dInner, 2 dInner + 2N), dt
     * [2 dInner + 2N, + nHeads). Device: B, C, then per group of {@link #DT_GROUP} heads their dt rows and, head by
     * head, its headdim z rows and headdim x rows.
     */
    static int[] inProjRowOrder(ModelConfig c) {
        int inner = c.dInner();
        int n = c.dState();
        int hd = c.headdim();
        int heads = c.nHeads();
        int[] order = new int[inWidth(c, heads)];
        int r = 0;
        for (int j = 0; j < 2 * n; j++) {
            order[r++] = 2 * inner + j;
        }
        for (int first = 0; first < heads; first += DT_GROUP) {
            for (int h = first; h < first + DT_GROUP; h++) {
                order[r++] = h < heads ? 2 * inner + 2 * n + h : -1;
            }
            for (int h = first; h < Math.min(first + DT_GROUP, heads); h++) {
                for (int p = 0; p < hd; p++) {
                    order[r++] = h * hd + p;
                }
                for (int p = 0; p < hd; p++) {
                    order[r++] = inner + h * hd + p;
                }
            }
        }
        return order;
    }

    /** Columns of the in_proj product. */
    int inWidth() {
        return in.m();
    }

    double flop() {
        return in.flop() + out.flop();
    }
}
