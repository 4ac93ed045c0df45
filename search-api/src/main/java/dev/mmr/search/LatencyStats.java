package dev.mmr.search;

import java.util.Arrays;

/** Latencies of one kind of work: a count, a mean and percentiles over the most recent samples (a fixed ring). */
public final class LatencyStats {
    private static final int WINDOW = 2048;
    private final double[] recent = new double[WINDOW];
    private long count;
    private double totalMs;

    synchronized void record(double millis) {
        recent[(int) (count % WINDOW)] = millis;
        count++;
        totalMs += millis;
    }

    /** Count, mean and the p50/p99 of the last {@value #WINDOW} samples, in milliseconds. */
    synchronized Snapshot snapshot() {
        int n = (int) Math.min(count, WINDOW);
        double[] sorted = Arrays.copyOf(recent, n);
        Arrays.sort(sorted);
        return new Snapshot(count, count == 0 ? 0 : totalMs / count, percentile(sorted, 0.50), percentile(sorted, 0.99));
    }

    public static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    record Snapshot(long count, double meanMs, double p50Ms, double p99Ms) {
    }
}
