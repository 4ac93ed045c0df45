package dev.mmr.eval;

import java.util.Arrays;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Brute-force maximum inner product search over row-major float32 matrices: each task takes a block of queries and
 * scores it against the database a block at a time, four queries against each database row at once (Java Vector API
 * fused multiply-adds, one load of the row for four products), keeping a sorted top-k per query. On L2-normalised
 * rows this is exact cosine / L2 search. Ties keep the lower database row first, so results are deterministic.
 */
public final class ExactSearch {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Queries per parallel task. */
    private static final int QUERY_BLOCK = 64;
    /** Database rows scored before moving on to the next block: a block of 256-float rows stays in L2. */
    private static final int DATABASE_BLOCK = 1024;
    /** Queries scored together against each database row. */
    private static final int QUERY_GROUP = 4;

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
        Arrays.fill(index, -1);
        Arrays.fill(score, Float.NEGATIVE_INFINITY);
        if (kept == 0) {
            return new Neighbours(m, 0, index, score);
        }
        IntStream.range(0, (m + QUERY_BLOCK - 1) / QUERY_BLOCK).parallel().forEach(block -> {
            int q1 = Math.min(m, (block + 1) * QUERY_BLOCK);
            float[] dots = new float[QUERY_GROUP];
            for (int d0 = 0; d0 < n; d0 += DATABASE_BLOCK) {
                int d1 = Math.min(n, d0 + DATABASE_BLOCK);
                for (int q = block * QUERY_BLOCK; q < q1; q += QUERY_GROUP) {
                    int group = Math.min(QUERY_GROUP, q1 - q);
                    for (int row = d0; row < d1; row++) {
                        dots(queries, q, group, database, row, dim, dots);
                        for (int g = 0; g < group; g++) {
                            offer(index, score, (q + g) * kept, kept, row, dots[g]);
                        }
                    }
                }
            }
        });
        return new Neighbours(m, kept, index, score);
    }

    /** The dot products of queries {@code q .. q+group-1} with database row {@code row}, into {@code out}. */
    private static void dots(float[] queries, int q, int group, float[] database, int row, int dim, float[] out) {
        int r = row * dim;
        if (group < QUERY_GROUP) {
            for (int g = 0; g < group; g++) {
                out[g] = dot(queries, (q + g) * dim, database, r, dim);
            }
            return;
        }
        int a = q * dim;
        int b = a + dim;
        int c = b + dim;
        int e = c + dim;
        FloatVector sa = FloatVector.zero(F);
        FloatVector sb = FloatVector.zero(F);
        FloatVector sc = FloatVector.zero(F);
        FloatVector se = FloatVector.zero(F);
        int bound = F.loopBound(dim);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector v = FloatVector.fromArray(F, database, r + i);
            sa = FloatVector.fromArray(F, queries, a + i).fma(v, sa);
            sb = FloatVector.fromArray(F, queries, b + i).fma(v, sb);
            sc = FloatVector.fromArray(F, queries, c + i).fma(v, sc);
            se = FloatVector.fromArray(F, queries, e + i).fma(v, se);
        }
        float ta = sa.reduceLanes(VectorOperators.ADD);
        float tb = sb.reduceLanes(VectorOperators.ADD);
        float tc = sc.reduceLanes(VectorOperators.ADD);
        float te = se.reduceLanes(VectorOperators.ADD);
        for (; i < dim; i++) {
            float v = database[r + i];
            ta += queries[a + i] * v;
            tb += queries[b + i] * v;
            tc += queries[c + i] * v;
            te += queries[e + i] * v;
        }
        out[0] = ta;
        out[1] = tb;
        out[2] = tc;
        out[3] = te;
    }

    /** One dot product, summed in the same lane order as the four-query kernel so a query scores alike in either. */
    private static float dot(float[] x, int xo, float[] y, int yo, int dim) {
        FloatVector s = FloatVector.zero(F);
        int bound = F.loopBound(dim);
        int i = 0;
        for (; i < bound; i += F.length()) {
            s = FloatVector.fromArray(F, x, xo + i).fma(FloatVector.fromArray(F, y, yo + i), s);
        }
        float t = s.reduceLanes(VectorOperators.ADD);
        for (; i < dim; i++) {
            t += x[xo + i] * y[yo + i];
        }
        return t;
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
