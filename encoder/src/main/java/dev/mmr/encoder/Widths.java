package dev.mmr.encoder;

import java.util.Arrays;

/**
 * The mixer width of every layer of a nested submodel, with a name for reports and caches:
 * {@code "level4"} for the uniform width D/4, {@code "mix:128-64-32-16"} for a per-layer (Mix'n'Match) list.
 * Obtain instances from {@link MatMambaModel#level}, {@link MatMambaModel#widths} or {@link MatMambaModel#full}, which check the rules.
 */
public record Widths(int[] perLayer, String name) {
    public Widths {
        perLayer = perLayer.clone();
    }

    @Override public int[] perLayer() {
        return perLayer.clone();
    }

    @Override public boolean equals(Object o) {
        return o instanceof Widths w && Arrays.equals(perLayer, w.perLayer) && name.equals(w.name);
    }

    @Override public int hashCode() {
        return 31 * Arrays.hashCode(perLayer) + name.hashCode();
    }

    @Override public String toString() {
        return name;
    }
}
