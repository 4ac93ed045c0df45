package dev.mmr.eval;

import java.awt.Color;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Accuracy (y, percent) against the query encoder's GFLOP (x): one series per kind. Nested and
 * baseline points are joined in order of cost; Mix'n'Match points stand alone, as squares.
 */
final class AccuracyPlot {
    static final int WIDTH = 760;
    static final int HEIGHT = 480;
    private static final double LEFT = 72;
    private static final double RIGHT = 170;
    private static final double TOP = 44;
    private static final double BOTTOM = 58;
    private static final Color AXIS = new Color(0x33, 0x33, 0x33);
    private static final Color GRID = new Color(0xe4, 0xe4, 0xe4);

    private final String title;
    private final String yLabel;
    private final List<ReportRow> rows;
    private final ToDoubleFunction<ReportRow> metric;

    AccuracyPlot(String title, String yLabel, List<ReportRow> rows, ToDoubleFunction<ReportRow> metric) {
        this.title = title;
        this.yLabel = yLabel;
        this.rows = rows;
        this.metric = metric;
    }

    static Color color(Submodel.Kind kind) {
        return switch (kind) {
            case NESTED -> new Color(0x1f, 0x77, 0xb4);
            case MIXNMATCH -> new Color(0xff, 0x7f, 0x0e);
            case BASELINE -> new Color(0xd6, 0x27, 0x28);
        };
    }

    void draw(Canvas c) {
        double xMax = niceCeiling(rows.stream().mapToDouble(ReportRow::gflop).max().orElse(1) * 1.05);
        double lowest = rows.stream().mapToDouble(metric).min().orElse(0);
        double highest = rows.stream().mapToDouble(metric).max().orElse(1);
        double yMin = Math.max(0, Math.floor((lowest - 0.02) * 10) / 10);
        double yMax = Math.min(1, Math.ceil((highest + 0.02) * 10) / 10);
        if (yMax <= yMin) {
            yMax = Math.min(1, yMin + 0.1);
            yMin = yMax - 0.1;
        }
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = HEIGHT - TOP - BOTTOM;
        double y0 = yMin;
        double ySpan = yMax - yMin;
        java.util.function.DoubleUnaryOperator px = x -> LEFT + x / xMax * plotW;
        java.util.function.DoubleUnaryOperator py = y -> TOP + (1 - (y - y0) / ySpan) * plotH;

        c.text(WIDTH / 2.0 - (RIGHT - LEFT) / 2, 26, title, 16, Canvas.Anchor.MIDDLE, AXIS, false);
        double xStep = niceStep(xMax / 6);
        for (double x = 0; x <= xMax + 1e-9; x += xStep) {
            double p = px.applyAsDouble(x);
            c.line(p, TOP, p, TOP + plotH, GRID, 1);
            c.text(p, TOP + plotH + 18, format(x), 11, Canvas.Anchor.MIDDLE, AXIS, false);
        }
        double yStep = niceStep(ySpan / 6);
        for (double y = Math.ceil(yMin / yStep - 1e-9) * yStep; y <= yMax + 1e-9; y += yStep) {
            double p = py.applyAsDouble(y);
            c.line(LEFT, p, LEFT + plotW, p, GRID, 1);
            c.text(LEFT - 8, p + 4, format(y * 100), 11, Canvas.Anchor.END, AXIS, false);
        }
        c.line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, AXIS, 1.2);
        c.line(LEFT, TOP, LEFT, TOP + plotH, AXIS, 1.2);
        c.text(LEFT + plotW / 2, HEIGHT - 16, "query encoder GFLOP per image", 13, Canvas.Anchor.MIDDLE, AXIS, false);
        c.text(22, TOP + plotH / 2, yLabel, 13, Canvas.Anchor.MIDDLE, AXIS, true);

        double legendY = TOP + 10;
        for (Submodel.Kind kind : Submodel.Kind.values()) {
            List<ReportRow> series = rows.stream().filter(r -> r.kind().equals(kind.label()))
                    .sorted(Comparator.comparingDouble(ReportRow::gflop)).toList();
            if (series.isEmpty()) {
                continue;
            }
            Color color = color(kind);
            for (int i = 0; i < series.size(); i++) {
                double x = px.applyAsDouble(series.get(i).gflop());
                double y = py.applyAsDouble(metric.applyAsDouble(series.get(i)));
                if (kind != Submodel.Kind.MIXNMATCH && i > 0) {
                    c.line(px.applyAsDouble(series.get(i - 1).gflop()), py.applyAsDouble(metric.applyAsDouble(series.get(i - 1))),
                            x, y, color, 2);
                }
                marker(c, kind, x, y, color);
            }
            double lx = LEFT + plotW + 18;
            marker(c, kind, lx + 6, legendY - 4, color);
            c.text(lx + 18, legendY, kind.label(), 12, Canvas.Anchor.START, AXIS, false);
            legendY += 22;
        }
    }

    private static void marker(Canvas c, Submodel.Kind kind, double x, double y, Color color) {
        if (kind == Submodel.Kind.MIXNMATCH) {
            c.square(x, y, 4, color);
        } else {
            c.circle(x, y, 4.5, color);
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
    static double niceStep(double rough) {
        if (!(rough > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * magnitude >= rough) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static double niceCeiling(double value) {
        double step = niceStep(value / 6);
        return Math.max(step, Math.ceil(value / step) * step);
    }

    private static String format(double value) {
        double v = Math.rint(value * 1e6) / 1e6 + 0.0;
        return Math.abs(v - Math.rint(v)) < 1e-9 ? String.format(Locale.ROOT, "%.0f", v)
                : Math.abs(v * 10 - Math.rint(v * 10)) < 1e-6 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }
}
