package dev.mmr.cuda;

import dev.mmr.encoder.ModelConfig;

/**
 * The four products of one mixer at width {@code w} on {@code rows} tokens, as in the CPU network
 * (MatMambaNetwork.mix): z, x and [B, C, dt] from the row blocks [0, di), [dInner, dInner + di) and
 * [2 dInner, 2 dInner + 2N + heads) of in_proj (B and C never sliced, dt the first heads), and out_proj's first di
 * columns. {@code di = expand * w}, {@code heads = di / headdim}.
 */
record LayerProducts(int di, int heads, Gemm z, Gemm x, Gemm bcdt, Gemm out) {

    static LayerProducts of(ModelConfig c, int rows, int width) {
        int d = c.dModel();
        int inner = c.dInner();
        int di = c.expand() * width;
        if (width <= 0 || width > d || di % c.headdim() != 0) {
            throw new IllegalArgumentException("width " + width + " is not a nested width of d_model " + d
                    + " with headdim " + c.headdim());
        }
        int heads = di / c.headdim();
        int bcdtWidth = 2 * c.dState() + heads;
        return new LayerProducts(di, heads,
                Gemm.linear(rows, di, d, 0, d),
                Gemm.linear(rows, di, d, inner, d),
                Gemm.linear(rows, bcdtWidth, d, 2 * inner, d),
                Gemm.linear(rows, d, di, 0, inner));
    }

    /** Columns of the [B, C, dt] output: 2N + heads. */
    int bcdtWidth() {
        return bcdt.m();
    }

    double flop() {
        return z.flop() + x.flop() + bcdt.flop() + out.flop();
    }
}
