package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class EncodeLatenciesTest {
    @Test
    void aFewOutliersDoNotMoveTheEstimate() {
        EncodeLatencies latencies = new EncodeLatencies();
        latencies.calibrate("level1", 16, 17, 16.5, 18, 16.7, 17.2, 16.9);
        for (int i = 0; i < 5; i++) {
            latencies.record("level1", 400);
        }
        assertEquals(17.6, latencies.estimate("level1").getAsDouble(), 1e-9, "5 slow queries among 12: the median hardly moves");
    }

    @Test
    void aLastingChangeMovesItWithinTheWindow() {
        EncodeLatencies latencies = new EncodeLatencies();
        latencies.calibrate("level8", 5, 5, 5, 5, 5, 5, 5);
        for (int i = 0; i < EncodeLatencies.WINDOW / 2 + 1; i++) {
            latencies.record("level8", 9);
        }
        assertEquals(9, latencies.estimate("level8").getAsDouble(), 1e-9);
        for (int i = 0; i < EncodeLatencies.WINDOW; i++) {
            latencies.record("level8", 6);
        }
        assertEquals(6, latencies.estimate("level8").getAsDouble(), 1e-9, "only the last " + EncodeLatencies.WINDOW + " count");
    }

    @Test
    void theBudgetPicksTheWidestLevelThatFits() {
        EncodeLatencies latencies = new EncodeLatencies();
        latencies.calibrate("level1", 20);
        latencies.calibrate("level8", 4);
        assertEquals("level8", latencies.widestWithin(10, List.of("level1", "level8"), n -> n, n -> n.equals("level1") ? 2 : 1).orElseThrow());
        assertEquals("level1", latencies.widestWithin(25, List.of("level1", "level8"), n -> n, n -> n.equals("level1") ? 2 : 1).orElseThrow());
        assertTrue(latencies.widestWithin(1, List.of("level1", "level8"), n -> n, n -> 1).isEmpty());
        assertTrue(latencies.estimate("level2").isEmpty());
    }
}
