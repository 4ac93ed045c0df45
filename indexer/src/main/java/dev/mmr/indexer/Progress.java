package dev.mmr.indexer;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

/**
 * Reports a bulk run while it goes: on a terminal a bar redrawn in place (images, images/s, ETA); otherwise a plain
 * line every {@code plainEverySeconds}. Rates count images finished (indexed or rejected) in this run.
 */
public final class Progress implements AutoCloseable {
    private static final int BAR = 30;

    private final BulkIndexer.Counters counters;
    private final DoubleSupplier fraction;
    private final PrintWriter out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "index-progress");
        t.setDaemon(true);
        return t;
    });
    private double startFraction = -1;

    /**
     * @param fraction share of the work done so far, in [0, 1]
     * @param terminal redraw a bar in place (when {@code System.console() != null}) rather than print lines
     */
    public Progress(BulkIndexer.Counters counters, DoubleSupplier fraction, PrintWriter out, boolean terminal, int plainEverySeconds) {
        this.counters = counters;
        this.fraction = fraction;
        this.out = out;
        this.terminal = terminal;
        long period = terminal ? 250 : plainEverySeconds * 1000L;
        timer.scheduleAtFixedRate(this::report, period, period, TimeUnit.MILLISECONDS);
    }

    private synchronized void report() {
        double seconds = (System.nanoTime() - start) / 1e9;
        double f = Math.max(0, Math.min(1, fraction.getAsDouble()));
        if (startFraction < 0) startFraction = f;
        long done = counters.indexed.get() + counters.rejected.get();
        double rate = seconds > 0 ? done / seconds : 0;
        double fractionRate = seconds > 0 ? (f - startFraction) / seconds : 0;
        String eta = fractionRate > 0 ? duration((1 - f) / fractionRate) : "--:--";
        String counts = String.format(Locale.ROOT, "%,d indexed, %,d skipped, %,d rejected | %,.0f img/s | ETA %s",
                counters.indexed.get(), counters.skipped.get(), counters.rejected.get(), rate, eta);
        if (terminal) {
            int filled = (int) Math.round(f * BAR);
            out.print("\r[" + "#".repeat(filled) + ".".repeat(BAR - filled) + "] "
                    + String.format(Locale.ROOT, "%3.0f%% ", f * 100) + counts + "   ");
        } else {
            out.println(String.format(Locale.ROOT, "%5.1f%% ", f * 100) + counts);
        }
        out.flush();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }

    /** Stops reporting after a last report. */
    @Override
    public void close() {
        timer.shutdownNow();
        report();
        if (terminal) out.println();
    }
}
