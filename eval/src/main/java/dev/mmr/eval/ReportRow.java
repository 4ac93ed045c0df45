package dev.mmr.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One query encoder's figures. Accuracies are fractions in [0, 1]; {@code headTop1} is null when the
 * classifier head's classes do not match the corpus labels.
 */
@JsonPropertyOrder({"name", "kind", "widths", "params", "gflop", "top1_1nn", "map10", "head_top1", "recall10_hnsw", "images_per_s"})
public record ReportRow(
        @JsonProperty("name") String name,
        @JsonProperty("kind") String kind,
        @JsonProperty("widths") int[] widths,
        @JsonProperty("params") long params,
        @JsonProperty("gflop") double gflop,
        @JsonProperty("top1_1nn") double top1Nn,
        @JsonProperty("map10") double map10,
        @JsonProperty("head_top1") Double headTop1,
        @JsonProperty("recall10_hnsw") double recall10Hnsw,
        @JsonProperty("images_per_s") double imagesPerSecond) {
}
