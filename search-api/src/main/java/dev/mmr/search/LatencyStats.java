package dev.mmr.search;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Latencies of one kind of work since start: an HdrHistogram of microseconds (three significant digits, any range),
 * so the count, mean and percentiles cover every sample at a fixed memory cost. Thread-safe, recording never blocks.
 */
public final class LatencyStats {
    private final Histogram micros = new ConcurrentHistogram(3);

    public void record(double millis) {
        micros.recordValue(Math.max(0, Math.round(millis * 1000)));
    }

    /** Count, mean, p50 and p99 in milliseconds. */
    public Snapshot snapshot() {
        Histogram copy = micros.copy();
        long count = copy.getTotalCount();
        return count == 0 ? new Snapshot(0, 0, 0, 0)
                : new Snapshot(count, copy.getMean() / 1000, copy.getValueAtPercentile(50) / 1000.0, copy.getValueAtPercentile(99) / 1000.0);
    }

    public record Snapshot(long count, double meanMs, double p50Ms, double p99Ms) {
    }
}
