package dev.mmr.search;

/**
 * What one service instance accepts and holds.
 *
 * @param maxBodyBytes  largest request body (a query image upload)
 * @param maxK          most hits one search may ask for
 * @param maxEf         widest HNSW search breadth one search may ask for
 * @param workers       threads decoding and encoding query images
 * @param queueCapacity query images waiting for a worker; beyond it requests get 503 {@code queue_full}
 * @param maxBatch      most query images of one submodel a worker encodes in one encoder call
 * @param cacheBytes    memory for cached query embeddings; 0 turns the cache off
 */
public record ServiceLimits(long maxBodyBytes, int maxK, int maxEf, int workers, int queueCapacity, int maxBatch, long cacheBytes) {
    public static ServiceLimits defaults() {
        return new ServiceLimits(8L << 20, 1000, 10_000, Runtime.getRuntime().availableProcessors(), 64, 16, 64L << 20);
    }

    public ServiceLimits {
        if (maxBodyBytes < 1 || maxK < 1 || maxEf < 1 || workers < 1 || queueCapacity < 0 || maxBatch < 1 || cacheBytes < 0) {
            throw new IllegalArgumentException("limits must be positive (queue capacity and cache size may be 0)");
        }
    }

    public ServiceLimits withCacheBytes(long bytes) {
        return new ServiceLimits(maxBodyBytes, maxK, maxEf, workers, queueCapacity, maxBatch, bytes);
    }
}
