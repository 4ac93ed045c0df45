package dev.mmr.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {

    /** Database rows by rank, given by hand, {@code k} per query. */
    private static Neighbours ranks(int k, int... index) {
        return new Neighbours(index.length / k, k, index, new float[index.length]);
    }

    @Test
    void top1CountsTheNearestItemsLabel() {
        int[] databaseLabels = {0, 1, 1};
        Neighbours top = ranks(2, 1, 0, 0, 2, 2, 1);
        assertEquals(2.0 / 3, RetrievalMetrics.top1(top, databaseLabels, new int[] {1, 1, 1}), 1e-12);
    }

    @Test
    void tiedScoresResolveToTheLowerDatabaseRow() {
        float[] database = {1, 0, 1, 0};
        int[] databaseLabels = {3, 4};
        Neighbours top = ExactSearch.search(database, new float[] {1, 0}, 2, 1);
        assertEquals(0.0, RetrievalMetrics.top1(top, databaseLabels, new int[] {4}));
        assertEquals(1.0, RetrievalMetrics.top1(top, databaseLabels, new int[] {3}));
    }

    @Test
    void mapAt10SumsPrecisionAtRelevantRanksAndDividesByK() {
        int[] databaseLabels = {7, 8, 7, 7};
        // query 0 (label 7): ranks 0,1,2 relevant pattern 1,0,1,1 -> (1 + 2/3 + 3/4) / 10
        // query 1 (label 8): rank of row 1 is 3rd -> (1/3) / 10
        Neighbours top = ranks(4, 0, 1, 2, 3, 2, 3, 1, 0);
        double expected = ((1 + 2.0 / 3 + 3.0 / 4) / 10 + (1.0 / 3) / 10) / 2;
        assertEquals(expected, RetrievalMetrics.meanAveragePrecision(top, databaseLabels, new int[] {7, 8}, 10), 1e-12);
    }

    @Test
    void mapAtKLargerThanTheDatabaseKeepsDividingByK() {
        float[] database = {1, 0, 0.5f, 0.5f};
        int[] databaseLabels = {1, 1};
        Neighbours top = ExactSearch.search(database, new float[] {1, 0}, 2, 10);
        assertEquals(2, top.k());
        assertEquals(2.0 / 10, RetrievalMetrics.meanAveragePrecision(top, databaseLabels, new int[] {1}, 10), 1e-12);
        assertEquals(1.0, RetrievalMetrics.meanAveragePrecision(top, databaseLabels, new int[] {1}, 1), 1e-12);
    }

    @Test
    void mapOnlyLooksAtTheFirstKRanks() {
        int[] databaseLabels = {0, 1, 1};
        Neighbours top = ranks(3, 0, 1, 2);
        assertEquals(0.0, RetrievalMetrics.meanAveragePrecision(top, databaseLabels, new int[] {1}, 1));
        assertEquals((1.0 / 2) / 2, RetrievalMetrics.meanAveragePrecision(top, databaseLabels, new int[] {1}, 2), 1e-12);
    }

    @Test
    void recallIsTheShareOfExactIdsTheApproximateSearchFound() {
        Neighbours exact = ranks(3, 0, 1, 2, 5, 6, 7);
        Neighbours approximate = ranks(3, 2, 0, 9, 5, 7, 6);
        assertEquals(5.0 / 6, RetrievalMetrics.recall(exact, approximate, 3), 1e-12);
        assertEquals(1.0 / 2, RetrievalMetrics.recall(exact, approximate, 1), 1e-12);
    }

    @Test
    void classifierAccuracy() {
        assertEquals(0.75, RetrievalMetrics.accuracy(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3, 0}));
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.accuracy(new int[] {1}, new int[] {1, 2}));
    }

    @Test
    void refusesALabelCountThatDoesNotMatchTheQueries() {
        assertThrows(IllegalArgumentException.class, () -> RetrievalMetrics.top1(ranks(1, 0, 0), new int[] {0}, new int[] {0}));
    }
}
