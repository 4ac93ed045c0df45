package dev.mmr.indexer;

import dev.mmr.indexer.source.ImageSource;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The progress of one long task (indexing, encoding an image set, building a graph, searching), drawn by
 * {@code me.tongfei:progressbar} on standard error: on a terminal a bar redrawn in place with the count, the rate
 * and the ETA; otherwise (a log, CI) the same figures as a plain line every ten seconds. Thread-safe.
 */
public final class Progress implements AutoCloseable {
    private static final int REDRAW_MILLIS = 250;
    private static final int PLAIN_LINE_MILLIS = 10_000;
    private static final int PLAIN_LINE_WIDTH = 120;

    private final ProgressBar bar;
    private final ScheduledExecutorService poller;
    private final Runnable poll;

    private Progress(ProgressBar bar, ScheduledExecutorService poller, Runnable poll) {
        this.bar = bar;
        this.poller = poller;
        this.poll = poll;
    }

    /** A task of {@code total} {@code unit}s, reported on standard error: a bar when it is a terminal, plain lines otherwise. */
    public static Progress start(String task, String unit, long total) {
        return new Progress(bar(task, unit, total, System.console() != null, System.err), null, null);
    }

    /** Reports nothing (for library callers and tests that want no output). */
    public static Progress silent() {
        return new Progress(null, null, null);
    }

    /**
     * A bulk indexing run, read from its live counters a few times a second. Its total is estimated from the images
     * read so far and the share of the source read since the first one (a compressed archive's image count is only known
     * once it has been read, and a subtree may begin far into it).
     */
    public static Progress of(BulkIndexer indexer, ImageSource source) {
        ProgressBar bar = bar("index", " images", -1, System.console() != null, System.err);
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("index-progress").unstarted(r));
        BulkIndexer.Counters counters = indexer.counters();
        AtomicLong startFraction = new AtomicLong(-1);
        Runnable poll = () -> {
            long indexed = counters.indexed.get();
            long skipped = counters.skipped.get();
            long rejected = counters.rejected.get();
            long seen = indexed + skipped + rejected;
            double fraction = Math.min(1, indexer.fractionDone(source));
            long scanned = counters.scanned.get();
            if (scanned > 0) {
                startFraction.compareAndSet(-1, Double.doubleToLongBits(fraction));
            }
            double progressed = fraction - Double.longBitsToDouble(startFraction.get());
            if (scanned > 0 && progressed > 0) {
                bar.maxHint(Math.max(seen, scanned + Math.round((1 - fraction) * scanned / progressed)));
            }
            bar.stepTo(seen);
            bar.setExtraMessage(String.format(Locale.ROOT, " | %,d indexed, %,d skipped, %,d rejected", indexed, skipped, rejected));
        };
        poller.scheduleAtFixedRate(poll, 0, REDRAW_MILLIS, TimeUnit.MILLISECONDS);
        return new Progress(bar, poller, poll);
    }

    static ProgressBar bar(String task, String unit, long total, boolean terminal, PrintStream out) {
        ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(unit, 1).showSpeed()
                .setStyle(ProgressBarStyle.ASCII).continuousUpdate();
        if (terminal) {
            builder.setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(REDRAW_MILLIS);
        } else {
            builder.setConsumer(new DelegatingProgressBarConsumer(out::println, PLAIN_LINE_WIDTH)).setUpdateIntervalMillis(PLAIN_LINE_MILLIS);
        }
        return builder.build();
    }

    /** Counts {@code items} more done. */
    public void advance(long items) {
        if (bar != null) {
            bar.stepBy(items);
        }
    }

    /** Stops reporting after a last report of the final figures. */
    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
            try {
                poller.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            poll.run();
        }
        if (bar != null) {
            bar.close();
        }
    }
}
