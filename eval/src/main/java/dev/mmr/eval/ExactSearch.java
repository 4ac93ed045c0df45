package dev.mmr.eval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Brute-force maximum inner product search over row-major float32 matrices: blocks of queries are
 * multiplied with blocks of the database in one matrix product each (BLAS gemm through ND4J) and a
 * sorted top-k is kept per query. On L2-normalised rows this is exact cosine / L2 search.
 * Ties keep the lower database row first, so results are deterministic.
 */
public final class ExactSearch {
    private static final int QUERY_BLOCK = 1024;
    private static final int DATABASE_BLOCK = 8192;

    private ExactSearch() {
    }

    /**
     * @param database {@code n x dim}, row-major
     * @param queries  {@code m x dim}, row-major
     * @param k        ranks wanted; fewer are returned when the database holds fewer rows
     */
    public static Neighbours search(float[] database, float[] queries, int dim, int k) {
        if (dim <= 0 || database.length % dim != 0 || queries.length % dim != 0) {
            throw new IllegalArgumentException("matrices must hold whole rows of " + dim + " floats");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        int n = database.length / dim;
        int m = queries.length / dim;
        int kept = Math.min(k, n);
        int[] index = new int[m * kept];
        float[] score = new float[m * kept];
        java.util.Arrays.fill(index, -1);
        java.util.Arrays.fill(score, Float.NEGATIVE_INFINITY);
        if (kept == 0) {
            return new Neighbours(m, 0, index, score);
        }
        for (int q0 = 0; q0 < m; q0 += QUERY_BLOCK) {
            int qn = Math.min(QUERY_BLOCK, m - q0);
            INDArray queryBlock = block(queries, q0, qn, dim);
            for (int d0 = 0; d0 < n; d0 += DATABASE_BLOCK) {
                int dn = Math.min(DATABASE_BLOCK, n - d0);
                INDArray databaseBlock = block(database, d0, dn, dim);
                float[] scores = queryBlock.mmul(databaseBlock.transpose()).data().asFloat();
                for (int q = 0; q < qn; q++) {
                    int base = (q0 + q) * kept;
                    for (int j = 0; j < dn; j++) {
                        offer(index, score, base, kept, d0 + j, scores[q * dn + j]);
                    }
                }
                databaseBlock.close();
            }
            queryBlock.close();
        }
        return new Neighbours(m, kept, index, score);
    }

    private static INDArray block(float[] matrix, int firstRow, int rows, int dim) {
        float[] copy = java.util.Arrays.copyOfRange(matrix, firstRow * dim, (firstRow + rows) * dim);
        return Nd4j.create(copy, new long[] {rows, dim}, DataType.FLOAT);
    }

    /** Inserts a candidate into the sorted run [base, base + k) if it beats the last entry; rows arrive in increasing order. */
    private static void offer(int[] index, float[] score, int base, int k, int row, float s) {
        int last = base + k - 1;
        if (!(s > score[last]) && index[last] >= 0) {
            return;
        }
        int at = last;
        while (at > base && (s > score[at - 1] || index[at - 1] < 0)) {
            index[at] = index[at - 1];
            score[at] = score[at - 1];
            at--;
        }
        index[at] = row;
        score[at] = s;
    }
}
