package dev.mmr.search;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.stats.CacheStats;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Query embeddings by (SHA-256 of the image bytes, submodel name), bounded by the bytes the vectors take.
 * A repeated query skips decoding and encoding altogether.
 */
final class EmbeddingCache {
    /** Rough per-entry overhead beyond the vector: key strings, node, array header. */
    private static final int ENTRY_OVERHEAD_BYTES = 200;
    private final Cache<Key, float[]> cache;

    record Key(String sha256, String submodel) {
    }

    EmbeddingCache(long maxBytes) {
        cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .<Key, float[]>weigher((key, vector) -> ENTRY_OVERHEAD_BYTES + 4 * vector.length)
                .recordStats()
                .build();
    }

    static String sha256(byte[] bytes) {
        return DigestUtils.sha256Hex(bytes);
    }

    float[] getIfPresent(Key key) {
        return cache.getIfPresent(key);
    }

    void put(Key key, float[] embedding) {
        cache.put(key, embedding);
    }

    CacheStats stats() {
        return cache.stats();
    }

    long entries() {
        return cache.estimatedSize();
    }

    long weightBytes() {
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }
}
