package dev.mmr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSearchTest {

    @Test
    void ranksByDotProductWithTiesToTheLowerRowAndKCappedAtTheDatabase() {
        float[] database = {1, 0, 0, 1, 1, 0, -1, 0};
        Neighbours top = ExactSearch.search(database, new float[] {1, 0, 0, 1}, 2, 10);
        assertEquals(4, top.k());
        assertArrayEquals(new int[] {0, 2, 1, 3, 1, 0, 2, 3}, top.index());
        assertArrayEquals(new float[] {1, 1, 0, -1, 1, 0, 0, 0}, top.score());
    }

    @Test
    void blockedProductsAgreeWithANaiveScanAcrossBlockBoundaries() {
        int dim = 8;
        int n = 9000;
        int m = 1100;
        int k = 5;
        Random random = new Random(7);
        float[] database = new float[n * dim];
        float[] queries = new float[m * dim];
        for (int i = 0; i < database.length; i++) {
            database[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < queries.length; i++) {
            queries[i] = (float) random.nextGaussian();
        }
        Neighbours top = ExactSearch.search(database, queries, dim, k);
        for (int q = 0; q < m; q += 37) {
            double[] scores = new double[n];
            for (int j = 0; j < n; j++) {
                for (int d = 0; d < dim; d++) {
                    scores[j] += (double) queries[q * dim + d] * database[j * dim + d];
                }
            }
            Integer[] order = new Integer[n];
            for (int j = 0; j < n; j++) {
                order[j] = j;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
            for (int r = 0; r < k; r++) {
                assertEquals(order[r], top.index(q, r), "query " + q + " rank " + r);
            }
        }
    }

    @Test
    void refusesRaggedMatrices() {
        assertThrows(IllegalArgumentException.class, () -> ExactSearch.search(new float[5], new float[4], 2, 1));
        assertThrows(IllegalArgumentException.class, () -> ExactSearch.search(new float[4], new float[4], 2, 0));
    }
}
