package dev.mmr.search;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Paces each client (remote address) to a steady rate of requests with a burst allowance (a token bucket per
 * client). A request over the rate waits, on its own (virtual) thread, until its turn; one that would wait longer
 * than {@link #MAX_WAIT} is refused with 429. A client flooding a cheap route thus gets {@link #perSecond} answers a
 * second however fast it asks, and the processor stays with everyone else.
 */
final class ClientPacer {
    static final Duration MAX_WAIT = Duration.ofSeconds(2);
    private final double perSecond;
    private final double burst;
    private final Cache<String, Bucket> buckets = Caffeine.newBuilder()
            .maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(5)).build();

    /** A client's tokens: how many it has and when that was counted. */
    private static final class Bucket {
        double tokens;
        long atNanos;

        Bucket(double tokens, long atNanos) {
            this.tokens = tokens;
            this.atNanos = atNanos;
        }
    }

    ClientPacer(double perSecond, double burst) {
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /**
     * Takes a turn for {@code client}, waiting for it when the client is over its rate.
     *
     * @throws ApiException 429 when the turn is more than {@link #MAX_WAIT} away
     */
    void pace(String client) {
        Bucket bucket = buckets.get(client, c -> new Bucket(burst, System.nanoTime()));
        long waitNanos;
        synchronized (bucket) {
            long now = System.nanoTime();
            bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.atNanos) * perSecond / 1e9);
            bucket.atNanos = now;
            waitNanos = bucket.tokens >= 1 ? 0 : (long) ((1 - bucket.tokens) / perSecond * 1e9);
            if (waitNanos > MAX_WAIT.toNanos()) {
                throw new ApiException(429, "too_many_requests", "more than " + (int) perSecond
                        + " image requests a second from one client; slow down");
            }
            bucket.tokens -= 1;
        }
        if (waitNanos > 0) {
            try {
                Thread.sleep(Duration.ofNanos(waitNanos));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(503, "interrupted", "the request was interrupted");
            }
        }
    }
}
