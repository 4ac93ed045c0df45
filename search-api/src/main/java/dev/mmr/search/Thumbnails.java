package dev.mmr.search;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thumbnails of stored images, made on a small pool of decode threads with a bounded queue (a full queue is refused
 * with 503, not buffered) and kept in a cache bounded by bytes; sides are rounded down to powers of two, so a burst
 * of thumbnail requests for a huge image costs a few subsampled decodes, not one decode per request.
 */
final class Thumbnails implements AutoCloseable {
    /** Largest thumbnail side a request may ask for. */
    static final int MAX_SIDE = 1024;
    private static final int QUEUE = 16;
    private static final long CACHE_BYTES = 32L << 20;
    private final StoredImages images;
    private final int workers;
    private final AtomicLong decodes = new AtomicLong();
    private final ThreadPoolExecutor pool;
    private final Cache<Key, StoredImages.Image> cache = Caffeine.newBuilder()
            .maximumWeight(CACHE_BYTES)
            .<Key, StoredImages.Image>weigher((key, image) -> image.bytes().length + 100)
            .recordStats()
            .build();

    /** The stored image's location (a new image under the same id gets a new one) and the side asked for. */
    private record Key(ImageLocation location, int maxSide) {
    }

    Thumbnails(StoredImages images, int workers) {
        this.images = images;
        this.workers = workers;
        this.pool = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE),
                Thread.ofPlatform().name("thumbnail-", 0).daemon().factory(), new ThreadPoolExecutor.AbortPolicy());
    }

    /**
     * The image at {@code location} scaled to fit {@code maxSide} rounded down to a power of two (so a handful of
     * thumbnails per image serve every size asked for, and varying the size does not get past the cache), from the
     * cache or decoded on the pool.
     *
     * @throws ApiException 400 for a size out of range, 503 when the pool and its queue are full
     * @throws IOException  when the stored image cannot be read or decoded
     */
    StoredImages.Image get(ImageLocation location, int maxSide) throws IOException {
        if (maxSide < 1 || maxSide > MAX_SIDE) {
            throw ApiException.badParameter("size must be between 1 and " + MAX_SIDE + " pixels");
        }
        Key key = new Key(location, Integer.highestOneBit(maxSide));
        StoredImages.Image cached = cache.getIfPresent(key);
        if (cached != null) {
            return cached;
        }
        Future<StoredImages.Image> job;
        try {
            job = pool.submit(() -> cache.get(key, k -> make(k)));
        } catch (RejectedExecutionException e) {
            throw new ApiException(503, "thumbnails_busy", "the service is busy making thumbnails: " + workers
                    + " decoders and " + QUEUE + " queued; retry shortly");
        }
        try {
            return job.get();
        } catch (InterruptedException e) {
            job.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", "the request was interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UncheckedIOException io) {
                throw io.getCause();
            }
            throw new IllegalStateException("making a thumbnail failed", e.getCause());
        }
    }

    private StoredImages.Image make(Key key) {
        decodes.incrementAndGet();
        try {
            return images.thumbnail(images.read(key.location()), key.maxSide());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Thumbnails made (each one decode of a stored image). */
    long decodes() {
        return decodes.get();
    }

    long cacheHits() {
        return cache.stats().hitCount();
    }

    long cacheMisses() {
        return cache.stats().missCount();
    }

    int queued() {
        return pool.getQueue().size();
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
