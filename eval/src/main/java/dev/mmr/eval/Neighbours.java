package dev.mmr.eval;

/**
 * The k nearest database items of each query, best first: {@code index[q * k + r]} is the database
 * row at rank {@code r} for query {@code q}, {@code score[q * k + r]} its dot product. {@code k} is
 * the number of ranks kept, never more than the database holds.
 */
public record Neighbours(int queries, int k, int[] index, float[] score) {

    public Neighbours {
        if (index.length != queries * k || score.length != queries * k) {
            throw new IllegalArgumentException("index and score need queries * k = " + queries * k + " entries");
        }
    }

    public int index(int query, int rank) {
        return index[query * k + rank];
    }
}
