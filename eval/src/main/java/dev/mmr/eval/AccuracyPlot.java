package dev.mmr.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Accuracy (y, percent) against the query encoder's GFLOP (x), one series per kind, drawn by XChart and saved as
 * SVG and PNG. Nested and baseline points are joined in order of cost; Mix'n'Match points stand alone, as squares.
 */
final class AccuracyPlot {
    static final int WIDTH = 760;
    static final int HEIGHT = 480;

    private AccuracyPlot() {
    }

    static Color color(Submodel.Kind kind) {
        return switch (kind) {
            case NESTED -> new Color(0x1f, 0x77, 0xb4);
            case MIXNMATCH -> new Color(0xff, 0x7f, 0x0e);
            case BASELINE -> new Color(0xd6, 0x27, 0x28);
        };
    }

    static XYChart chart(String title, String yLabel, List<ReportRow> rows, ToDoubleFunction<ReportRow> metric) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("query encoder GFLOP per image").yAxisTitle(yLabel).build();
        XYStyler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setLegendBorderColor(Color.WHITE);
        styler.setXAxisMin(0.0);
        styler.setXAxisDecimalPattern("0.00");
        styler.setYAxisDecimalPattern("0");
        for (Submodel.Kind kind : Submodel.Kind.values()) {
            List<ReportRow> series = rows.stream().filter(r -> r.kind().equals(kind.label()))
                    .sorted(Comparator.comparingDouble(ReportRow::gflop)).toList();
            if (series.isEmpty()) {
                continue;
            }
            XYSeries s = chart.addSeries(kind.label(), series.stream().mapToDouble(ReportRow::gflop).toArray(),
                    series.stream().mapToDouble(r -> 100 * metric.applyAsDouble(r)).toArray());
            s.setLineColor(color(kind));
            s.setMarkerColor(color(kind));
            s.setLineStyle(new BasicStroke(2f));
            s.setMarker(kind == Submodel.Kind.MIXNMATCH ? SeriesMarkers.SQUARE : SeriesMarkers.CIRCLE);
            if (kind == Submodel.Kind.MIXNMATCH) {
                s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            }
        }
        return chart;
    }

    /** Writes {@code <stem>.svg} and {@code <stem>.png} into {@code dir} and returns them. */
    static List<Path> save(XYChart chart, Path dir, String stem) throws IOException {
        Path svg = dir.resolve(stem + ".svg");
        try (OutputStream out = Files.newOutputStream(svg)) {
            VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        }
        Path png = dir.resolve(stem + ".png");
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
        return List.of(svg, png);
    }
}
