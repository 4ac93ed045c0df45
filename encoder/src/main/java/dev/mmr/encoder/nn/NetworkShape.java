package dev.mmr.encoder.nn;

import dev.mmr.encoder.ModelConfig;

/**
 * The dimensions of a MatMamba-Vision network, as the forward pass needs them.
 *
 * @param dModel residual width D
 * @param nLayer number of Mamba2 blocks
 * @param nClasses classifier outputs
 * @param patchSize side of a patch in pixels
 * @param imageSize side of the (square) input image in pixels
 * @param dState SSM state size N (B and C have N channels each)
 * @param dConv causal convolution kernel length
 * @param expand inner width factor: a mixer of width w has {@code expand * w} SSM channels
 * @param headdim channels per SSM head (D/32: 64 heads at full width)
 * @param normEpsilon epsilon of the LayerNorms
 */
public record NetworkShape(int dModel, int nLayer, int nClasses, int patchSize, int imageSize,
                           int dState, int dConv, int expand, int headdim, double normEpsilon) {

    /** The shape of the network a checkpoint's configuration describes. */
    public static NetworkShape of(ModelConfig c) {
        return new NetworkShape(c.dModel(), c.nLayer(), c.nClasses(), c.patchSize(), c.imageSize(),
                c.dState(), c.dConv(), c.expand(), c.headdim(), c.normEpsilon());
    }

    /** Patches per image, T = (S/p)^2. */
    public int patches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    /** Tokens per image: the patches plus the suffix [CLS] token. */
    public int tokens() {
        return patches() + 1;
    }

    /** SSM channels at full width, {@code expand * D}. */
    public int dInner() {
        return expand * dModel;
    }

    /** SSM heads at full width. */
    public int heads() {
        return dInner() / headdim;
    }

    /** Rows of in_proj: z, x (dInner each), B, C (N each), dt (one per head). */
    public int inProjRows() {
        return 2 * dInner() + 2 * dState + heads();
    }
}
