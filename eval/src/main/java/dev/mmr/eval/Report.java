package dev.mmr.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code report.json} holds: what was measured (model, baselines, corpora, protocol) and
 * one row per query encoder.
 */
@JsonPropertyOrder({"title", "created", "model", "baselines", "database", "queries", "protocol", "rows"})
public record Report(
        @JsonProperty("title") String title,
        @JsonProperty("created") String created,
        @JsonProperty("model") Map<String, Object> model,
        @JsonProperty("baselines") List<Map<String, Object>> baselines,
        @JsonProperty("database") Map<String, Object> database,
        @JsonProperty("queries") Map<String, Object> queries,
        @JsonProperty("protocol") Map<String, Object> protocol,
        @JsonProperty("rows") List<ReportRow> rows) {

    public static final String MAP_DEFINITION =
            "mAP@10: per query, the sum of precision@i over the ranks i <= 10 holding an item of the query's label, divided by 10 "
                    + "(not by the number of relevant items), averaged over queries (as in MRL / AdANNS)";

    public List<ReportRow> rows(Submodel.Kind kind) {
        return rows.stream().filter(r -> r.kind().equals(kind.label())).toList();
    }
}
