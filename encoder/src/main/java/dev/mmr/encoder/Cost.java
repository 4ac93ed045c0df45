package dev.mmr.encoder;

/**
 * What one image costs a submodel: the parameters it touches and its matrix-multiply work in GFLOP
 * (2 FLOP per multiply-accumulate of the patch embedding, in_proj, out_proj and classifier).
 * The selective scan and the element-wise steps are not counted; docs/encoder.md gives the formula.
 */
public record Cost(long params, double gflop) {

    /** The cost of {@code widths} on the architecture {@code c}, computed from the configuration alone. */
    public static Cost of(ModelConfig c, Widths widths) {
        long d = c.dModel();
        long n = c.dState();
        long tokens = c.nTokens();
        long patchInputs = 3L * c.patchSize() * c.patchSize();
        long params = d * patchInputs + d + d + tokens * d + 2 * d + c.nClasses() * d + c.nClasses();
        long macs = c.nPatches() * patchInputs * d + d * c.nClasses();
        for (int w : widths.perLayer()) {
            long di = c.dInner(w);
            long heads = c.nHeads(w);
            long inProjRows = c.inProjRows(w);
            params += 2 * d + inProjRows * d + (di + 2 * n) * (c.dConv() + 1) + 3 * heads + di + d * di;
            macs += tokens * d * (inProjRows + di);
        }
        return new Cost(params, 2.0 * macs / 1e9);
    }
}
