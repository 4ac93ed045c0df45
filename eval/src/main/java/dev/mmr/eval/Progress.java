package dev.mmr.eval;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of one long stage on standard error: a redrawn bar (count, items/s, ETA) on a terminal,
 * a plain line every ten seconds otherwise (logs, CI). Thread-safe.
 */
public final class Progress {
    private static final long TERMINAL_REDRAW_NANOS = 250_000_000L;
    private static final long LOG_LINE_NANOS = 10_000_000_000L;

    private final String stage;
    private final long total;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long done;
    private long lastPrint = start;

    public Progress(String stage, long total, PrintStream out, boolean terminal) {
        this.stage = stage;
        this.total = total;
        this.out = out;
        this.terminal = terminal;
    }

    /** Reports on standard error, as a bar when it is a terminal. */
    public static Progress of(String stage, long total) {
        return new Progress(stage, total, System.err, System.console() != null);
    }

    /** Reports nothing (for library callers and tests that do not want output). */
    public static Progress silent() {
        return new Progress("", 0, null, false);
    }

    public synchronized void advance(long items) {
        done += items;
        long now = System.nanoTime();
        if (out != null && now - lastPrint >= (terminal ? TERMINAL_REDRAW_NANOS : LOG_LINE_NANOS)) {
            lastPrint = now;
            print(now, false);
        }
    }

    public synchronized void done() {
        if (out != null) {
            print(System.nanoTime(), true);
        }
    }

    private void print(long now, boolean last) {
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        double rate = done / seconds;
        double fraction = total > 0 ? Math.min(1, (double) done / total) : 1;
        String eta = rate > 0 && !last ? formatSeconds((total - done) / rate) : "-";
        String figures = String.format(Locale.ROOT, "%s %d/%d  %.0f/s  %s %s", stage, done, total, rate,
                last ? "took" : "ETA", last ? formatSeconds(seconds) : eta);
        if (terminal) {
            int width = 30;
            int filled = (int) Math.round(fraction * width);
            out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + figures + "   ");
            if (last) {
                out.println();
            }
        } else {
            out.println(figures);
        }
        out.flush();
    }

    private static String formatSeconds(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
