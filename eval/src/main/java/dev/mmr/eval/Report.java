package dev.mmr.eval;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code report.json} holds: what was measured (model, baselines, corpora, protocol) and
 * one row per query encoder. Written by {@link ReportWriter}, read back by {@link #read} (the search service does).
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

    /** Reads what it writes; fields a later version adds are ignored, so older readers keep working. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * One table of the report: the rows of one kind, one sentence saying what they are and, for Mix'n'Match rows, each
     * one's {@link #cheaperLevel} (null for the other kinds; an entry is null where every trained level costs more).
     */
    public record Table(String kind, String explanation, List<ReportRow> rows, List<Versus> cheaperLevel) {
    }

    /** A row against a trained level: that level's name and the row's 1-NN top-1 minus the level's, in points. */
    public record Versus(String level, double top1NnPoints) {
    }

    public static Report read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Report.class);
    }

    void write(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public List<ReportRow> rows(Submodel.Kind kind) {
        return rows.stream().filter(r -> r.kind().equals(kind.label())).toList();
    }

    /** The report's tables, one per kind present, in the order nested, Mix'n'Match, baselines. */
    @JsonIgnore
    public List<Table> tables() {
        return Arrays.stream(Submodel.Kind.values()).filter(k -> !rows(k).isEmpty())
                .map(k -> new Table(k.label(), explanation(k), rows(k),
                        k == Submodel.Kind.MIXNMATCH ? rows(k).stream().map(this::cheaperLevel).toList() : null))
                .toList();
    }

    /**
     * The trained level a Mix'n'Match submodel should at least match: the one that costs the most without costing more
     * (GFLOP), with the row's 1-NN top-1 against it; null when every trained level costs more.
     */
    public Versus cheaperLevel(ReportRow row) {
        return rows(Submodel.Kind.NESTED).stream().filter(level -> level.gflop() <= row.gflop())
                .max(Comparator.comparingDouble(ReportRow::gflop))
                .map(level -> new Versus(level.name(), 100 * (row.top1Nn() - level.top1Nn()))).orElse(null);
    }

    /** What the rows of one kind are, in one sentence a newcomer can read before the figures. */
    public String explanation(Submodel.Kind kind) {
        String d = model != null && model.get("d_model") instanceof Number n ? Integer.toString(n.intValue()) : null;
        String full = d == null ? "width D" : "width D = " + d;
        String smallest = d == null ? "D/8" : "D/8 = " + Integer.parseInt(d) / 8;
        return switch (kind) {
            case NESTED -> "Each row queries with the nested model cut to one width in every layer: level k uses width D/k, so level 1 is"
                    + " the full model (" + full + ") and level 8 the smallest (" + smallest + "); the database is encoded once, by the full model.";
            case MIXNMATCH -> "Each row queries with the nested model at a different width per layer (the widths column, layer by layer,"
                    + " between " + smallest + " and the full " + full + "), a submodel between two trained levels in cost;"
                    + " the database is the same full-width one. Its last column is its 1-NN top-1 against the trained level"
                    + " that costs the most without costing more, in points: below 0, that cheaper level retrieves better.";
            case BASELINE -> "Each baseline is a separate model trained at one width only (baseline-lk: width D/k; baseline-l1 is full"
                    + " width), and each is queried against the database built by " + baselineDatabase() + ", a different model"
                    + " for every other baseline: independently trained models do not share a metric space, so their low 1-NN"
                    + " figures are expected; head top-1 is each baseline's own classifier on the queries.";
        };
    }

    private String baselineDatabase() {
        return baselines == null || baselines.isEmpty() || !(baselines.get(0).get("level") instanceof Number level)
                ? "the widest baseline" : "baseline-l" + level.intValue();
    }
}
