package dev.mmr.cuda;

import dev.mmr.encoder.ModelConfig;

/**
 * The two products of one mixer at width {@code w} on {@code rows} tokens. in_proj is kept on the device with its rows
 * reordered ({@link #inProjRowOrder}): B, C, then for each head its z rows, its x rows and its dt row, so that every
 * nested width's in_proj product is one block of leading rows, {@code 2N + heads (2 headdim + 1)} of them, with
 * output columns in that order. out_proj's product uses its first {@code di} columns, as the CPU network
 * (MatMambaNetwork.mix) does. {@code di = expand * w}, {@code heads = di / headdim}.
 */
record LayerProducts(int di, int heads, Gemm in, Gemm out) {

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

    /** Columns of the in_proj product with {@code heads} heads: B, C, then z, x and dt of each head. */
    static int inWidth(ModelConfig c, int heads) {
        return 2 * c.dState() + heads * (2 * c.headdim() + 1);
    }

    /**
     * The stored in_proj row that row r of the device's copy holds. Stored: z [0, dInner), x [dInner, 2 dInner),
     * B, C [2 dInner, 2 dInner + 2N), dt [2 dInner + 2N, + nHeads). Device: B, C, then per head h its headdim z rows,
     * headdim x rows and dt row.
     */
    static int[] inProjRowOrder(ModelConfig c) {
        int inner = c.dInner();
        int n = c.dState();
        int hd = c.headdim();
        int[] order = new int[2 * inner + 2 * n + c.nHeads()];
        int r = 0;
        for (int j = 0; j < 2 * n; j++) {
            order[r++] = 2 * inner + j;
        }
        for (int h = 0; h < c.nHeads(); h++) {
            for (int p = 0; p < hd; p++) {
                order[r++] = h * hd + p;
            }
            for (int p = 0; p < hd; p++) {
                order[r++] = inner + h * hd + p;
            }
            order[r++] = 2 * inner + 2 * n + h;
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
