package dev.mmr.eval;

/**
 * The retrieval and classification figures of the report, each averaged over queries.
 *
 * <p>mAP@k follows the Matryoshka retrieval papers (MRL, AdANNS): for one query, the sum of
 * precision@i over the ranks i &le; k whose item is relevant (same label as the query), divided by
 * k, not by the number of relevant items found. When the database holds fewer than k items, the
 * missing ranks count as not relevant and the divisor stays k.
 */
public final class RetrievalMetrics {
    private RetrievalMetrics() {
    }

    /** 1-NN top-1: the fraction of queries whose nearest database item has the query's label. */
    public static double top1(Neighbours neighbours, int[] databaseLabels, int[] queryLabels) {
        requireQueries(neighbours, queryLabels);
        if (neighbours.k() == 0) {
            return 0;
        }
        int hits = 0;
        for (int q = 0; q < neighbours.queries(); q++) {
            if (databaseLabels[neighbours.index(q, 0)] == queryLabels[q]) {
                hits++;
            }
        }
        return (double) hits / neighbours.queries();
    }

    /** mAP@k as defined in the class comment; {@code k} may exceed the ranks kept. */
    public static double meanAveragePrecision(Neighbours neighbours, int[] databaseLabels, int[] queryLabels, int k) {
        requireQueries(neighbours, queryLabels);
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        int ranks = Math.min(k, neighbours.k());
        double sum = 0;
        for (int q = 0; q < neighbours.queries(); q++) {
            int relevant = 0;
            double precisionSum = 0;
            for (int r = 0; r < ranks; r++) {
                if (databaseLabels[neighbours.index(q, r)] == queryLabels[q]) {
                    relevant++;
                    precisionSum += (double) relevant / (r + 1);
                }
            }
            sum += precisionSum / k;
        }
        return sum / neighbours.queries();
    }

    /** Recall@k of an approximate search: the fraction of the exact top-k ids it also returned in its top k. */
    public static double recall(Neighbours exact, Neighbours approximate, int k) {
        if (exact.queries() != approximate.queries()) {
            throw new IllegalArgumentException("exact and approximate results cover different query counts");
        }
        int exactRanks = Math.min(k, exact.k());
        if (exactRanks == 0) {
            return 1;
        }
        int approximateRanks = Math.min(k, approximate.k());
        long found = 0;
        for (int q = 0; q < exact.queries(); q++) {
            for (int r = 0; r < exactRanks; r++) {
                int wanted = exact.index(q, r);
                for (int a = 0; a < approximateRanks; a++) {
                    if (approximate.index(q, a) == wanted) {
                        found++;
                        break;
                    }
                }
            }
        }
        return (double) found / ((long) exactRanks * exact.queries());
    }

    /** Top-1 of a classifier: the fraction of predicted class indices equal to the true ones. */
    public static double accuracy(int[] predicted, int[] labels) {
        if (predicted.length != labels.length || labels.length == 0) {
            throw new IllegalArgumentException("need one prediction per label, and at least one");
        }
        int hits = 0;
        for (int i = 0; i < labels.length; i++) {
            if (predicted[i] == labels[i]) {
                hits++;
            }
        }
        return (double) hits / labels.length;
    }

    private static void requireQueries(Neighbours neighbours, int[] queryLabels) {
        if (neighbours.queries() != queryLabels.length || queryLabels.length == 0) {
            throw new IllegalArgumentException("need one label per query, and at least one query");
        }
    }
}
