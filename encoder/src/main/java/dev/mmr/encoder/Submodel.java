package dev.mmr.encoder;

/**
 * A nested submodel of one model: its per-layer widths (with their name) and what an image costs it. Equal submodels
 * have equal widths and names, so it serves as the key of per-submodel maps (results, latencies, caches).
 * Obtain instances from {@link MatMambaModel#submodel}, which checks the widths against the model.
 */
public record Submodel(Widths widths, Cost cost) {

    /** The name of reports and caches: {@code "level4"}, {@code "mix:128-64-32-16"}. */
    public String name() {
        return widths.name();
    }

    @Override public String toString() {
        return widths.name();
    }
}
