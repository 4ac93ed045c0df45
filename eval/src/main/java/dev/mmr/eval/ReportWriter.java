package dev.mmr.eval;

import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Writes a report folder: {@code report.json}, one CSV per kind of query encoder, accuracy-vs-GFLOP
 * plots as SVG and PNG, and {@code index.html} tying them together with relative links (so any static
 * file server, the search service included, can serve the folder as it is).
 */
public final class ReportWriter {
    public static final String JSON = "report.json";
    public static final String HTML = "index.html";
    private static final CsvMapper CSV = new CsvMapper();
    static final String[] CSV_HEADER = {"name", "kind", "widths", "params", "gflop", "top1_1nn", "map10", "head_top1", "recall10_hnsw", "images_per_s"};

    /** A plotted metric: file stem, title, axis label and how to read it from a row. */
    record Plot(String stem, String title, String yLabel, ToDoubleFunction<ReportRow> metric) {
    }

    static final List<Plot> PLOTS = List.of(
            new Plot("top1_1nn_vs_gflop", "1-NN top-1 vs query encoder cost", "1-NN top-1 (%)", ReportRow::top1Nn),
            new Plot("map10_vs_gflop", "mAP@10 vs query encoder cost", "mAP@10 (%)", ReportRow::map10));

    private ReportWriter() {
    }

    /** Writes every file of the report into {@code dir} (created if needed) and returns their paths. */
    public static List<Path> write(Report report, Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        Path json = dir.resolve(JSON);
        report.write(json);
        written.add(json);
        for (Report.Table table : report.tables()) {
            Path csv = dir.resolve(table.kind() + ".csv");
            Files.writeString(csv, csv(table.rows()), StandardCharsets.UTF_8);
            written.add(csv);
        }
        Path html = dir.resolve(HTML);
        Files.writeString(html, html(report), StandardCharsets.UTF_8);
        written.add(html);
        for (Plot plot : PLOTS) {
            written.addAll(plot(report, plot, dir));
        }
        return written;
    }

    /**
     * Draws one plot. The figures are on disk before any plot is drawn, so a runtime that cannot lay out text (a
     * machine without fonts) loses only the plots, and says so.
     */
    private static List<Path> plot(Report report, Plot plot, Path dir) throws IOException {
        try {
            return AccuracyPlot.save(AccuracyPlot.chart(plot.title(), plot.yLabel(), report.rows(), plot.metric()), dir, plot.stem());
        } catch (RuntimeException | Error e) {
            for (String suffix : List.of(".svg", ".png")) {
                Files.deleteIfExists(dir.resolve(plot.stem() + suffix));
            }
            throw new IOException(JSON + ", the CSVs and " + HTML + " are written to " + dir + ", but the plots could not be"
                    + " drawn: the Java runtime found no usable font (" + e + "); install fontconfig and a font (Debian:"
                    + " fonts-dejavu-core) and run eval again (its embedding cache makes that quick)", e);
        }
    }

    static String csv(List<ReportRow> rows) throws IOException {
        CsvSchema.Builder schema = CsvSchema.builder();
        for (String column : CSV_HEADER) {
            schema.addColumn(column);
        }
        return CSV.writer(schema.build().withHeader()).writeValueAsString(rows.stream().map(ReportWriter::cells).toList());
    }

    private static List<String> cells(ReportRow r) {
        return List.of(r.name(), r.kind(), widths(r.widths()), Long.toString(r.params()), number(r.gflop(), 4),
                number(r.top1Nn(), 4), number(r.map10(), 4), r.headTop1() == null ? "" : number(r.headTop1(), 4),
                number(r.recall10Hnsw(), 4), number(r.imagesPerSecond(), 1));
    }

    static String widths(int[] widths) {
        return IntStream.of(widths).mapToObj(Integer::toString).collect(Collectors.joining("-"));
    }

    private static String number(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static String percent(double v) {
        return String.format(Locale.ROOT, "%.2f", 100 * v);
    }

    /** "level4: -1.26": the level and the points against it, or "none" where every level costs more. */
    static String versus(Report.Versus versus) {
        return versus == null ? "none" : escape(versus.level()) + ": " + String.format(Locale.ROOT, "%+.2f", versus.top1NnPoints());
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    static String html(Report report) {
        StringBuilder out = new StringBuilder();
        String title = escape(report.title());
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").append(title).append("</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
                        + "th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
                        + "img{max-width:100%;border:1px solid #eee}dt{font-weight:bold}</style>\n</head>\n<body>\n")
                .append("<h1>").append(title).append("</h1>\n<dl>\n");
        definition(out, "Created", report.created());
        definition(out, "Model", describe(report.model()));
        definition(out, "Database", describe(report.database()));
        definition(out, "Queries", describe(report.queries()));
        definition(out, "Protocol", describe(report.protocol()));
        out.append("</dl>\n");
        for (Plot plot : PLOTS) {
            out.append("<h2>").append(escape(plot.title())).append("</h2>\n<p><img src=\"").append(plot.stem())
                    .append(".svg\" alt=\"").append(escape(plot.title())).append("\"></p>\n<p><a href=\"")
                    .append(plot.stem()).append(".png\">PNG</a> · <a href=\"").append(plot.stem()).append(".svg\">SVG</a></p>\n");
        }
        for (Report.Table table : report.tables()) {
            out.append("<h2>").append(table.kind()).append(" (<a href=\"").append(table.kind()).append(".csv\">CSV</a>)</h2>\n<p>")
                    .append(escape(table.explanation())).append("</p>\n<table>\n<tr>")
                    .append("<th>name</th><th>widths</th><th>params</th><th>GFLOP</th><th>1-NN top-1 %</th><th>mAP@10 %</th>"
                            + "<th>head top-1 %</th><th>HNSW recall@10 %</th><th>images/s</th>")
                    .append(table.cheaperLevel() == null ? "" : "<th>1-NN top-1 against the cheaper level</th>").append("</tr>\n");
            for (int i = 0; i < table.rows().size(); i++) {
                ReportRow r = table.rows().get(i);
                out.append("<tr><td>").append(escape(r.name())).append("</td><td>").append(widths(r.widths()))
                        .append("</td><td>").append(r.params()).append("</td><td>").append(number(r.gflop(), 4))
                        .append("</td><td>").append(percent(r.top1Nn())).append("</td><td>").append(percent(r.map10()))
                        .append("</td><td>").append(r.headTop1() == null ? "n/a" : percent(r.headTop1()))
                        .append("</td><td>").append(percent(r.recall10Hnsw())).append("</td><td>").append(number(r.imagesPerSecond(), 1))
                        .append(table.cheaperLevel() == null ? "" : "</td><td>" + versus(table.cheaperLevel().get(i)))
                        .append("</td></tr>\n");
            }
            out.append("</table>\n");
        }
        out.append("<p>").append(escape(Report.MAP_DEFINITION)).append(".</p>\n")
                .append("<p>All figures: <a href=\"").append(JSON).append("\">").append(JSON).append("</a></p>\n</body>\n</html>\n");
        return out.toString();
    }

    private static void definition(StringBuilder out, String term, String value) {
        out.append("<dt>").append(term).append("</dt><dd>").append(escape(value)).append("</dd>\n");
    }

    private static String describe(Map<String, Object> fields) {
        return fields.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).collect(Collectors.joining("; "));
    }
}
