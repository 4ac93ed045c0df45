package dev.mmr.eval;

import dev.mmr.encoder.Widths;

/** One query encoder of the evaluation: a report row's name, its kind, and its per-layer widths. */
public record Submodel(String name, Kind kind, Widths widths) {

    /** The three series of the report and its plots. */
    public enum Kind {
        NESTED, MIXNMATCH, BASELINE;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
