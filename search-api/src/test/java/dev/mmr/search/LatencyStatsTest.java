package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Percentiles over every sample, to HdrHistogram's three significant digits. */
class LatencyStatsTest {
    @Test
    void countsMeanAndPercentilesOfEverySample() {
        LatencyStats stats = new LatencyStats();
        assertEquals(new LatencyStats.Snapshot(0, 0, 0, 0), stats.snapshot());
        for (int i = 1; i <= 10_000; i++) {
            stats.record(i / 10.0);
        }
        LatencyStats.Snapshot s = stats.snapshot();
        assertEquals(10_000, s.count());
        assertEquals(500.05, s.meanMs(), 0.5);
        assertEquals(500.0, s.p50Ms(), 0.5);
        assertEquals(990.0, s.p99Ms(), 1.0);
    }
}
