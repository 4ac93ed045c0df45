package dev.mmr.indexer;

import java.util.Map;
import java.util.TreeMap;

/**
 * What an index holds and what produced it: its last commit's data and its live document count.
 *
 * @param commitData the raw commit data; keys are the constants of {@link IndexSchema}
 * @param documents  live documents (images) in the index
 */
public record IndexInfo(Map<String, String> commitData, int documents) {
    public IndexInfo {
        commitData = Map.copyOf(commitData);
    }

    public String modelFingerprint() {
        return commitData.get(IndexSchema.MODEL_FINGERPRINT);
    }

    public int dimension() {
        return Integer.parseInt(commitData.getOrDefault(IndexSchema.DIMENSION, "0"));
    }

    public IndexSettings settings() {
        return new IndexSettings(Integer.parseInt(commitData.get(IndexSchema.MAX_CONNECTIONS)),
                Integer.parseInt(commitData.get(IndexSchema.BEAM_WIDTH)),
                Quantization.parse(commitData.get(IndexSchema.QUANTIZATION)));
    }

    /** Whether the last bulk run finished (rather than being interrupted). */
    public boolean complete() {
        return IndexSchema.STATE_COMPLETE.equals(commitData.get(IndexSchema.STATE));
    }

    /** Commit data plus the document count, sorted by key, as printed by {@code mmr info}. */
    public Map<String, Object> asMap() {
        Map<String, Object> map = new TreeMap<>(commitData);
        map.put("documents", documents);
        return map;
    }
}
