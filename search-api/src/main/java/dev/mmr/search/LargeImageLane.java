package dev.mmr.search;

import dev.mmr.encoder.ImagePreprocessor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Query images of more than {@value #LARGE_PIXELS} pixels are decoded here rather than on the encode workers: on a few
 * threads of their own, with the clients (remote addresses) served in turn and each allowed at most
 * {@value #PER_CLIENT} images waiting or decoding. A few clients uploading huge images thus wait for each other, while
 * everyone else's ordinary images go straight to the encode workers.
 */
final class LargeImageLane implements AutoCloseable {
    /** Images above this many pixels (by their header) take this lane. */
    static final long LARGE_PIXELS = 2_000_000;
    static final int PER_CLIENT = 2;
    static final int CAPACITY = 16;

    private record Job(String client, byte[] image, CompletableFuture<float[]> pixels) {
    }

    private final ImagePreprocessor preprocessor;
    /** Waiting images by client; iteration order is the turn order. */
    private final LinkedHashMap<String, ArrayDeque<Job>> waiting = new LinkedHashMap<>();
    private final Map<String, Integer> heldByClient = new HashMap<>();
    private final List<Thread> threads = new ArrayList<>();
    private int queued;
    private boolean closed;

    LargeImageLane(ImagePreprocessor preprocessor, int threads) {
        this.preprocessor = preprocessor;
        for (int i = 0; i < threads; i++) {
            this.threads.add(Thread.ofPlatform().name("large-image-" + i).daemon().start(this::work));
        }
    }

    /** Whether the image's header declares more than {@value #LARGE_PIXELS} pixels (unreadable headers are not large). */
    static boolean isLarge(byte[] image) {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(image))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return false;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return (long) reader.getWidth(0) * reader.getHeight(0) > LARGE_PIXELS;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Queues a large image of {@code client} for decoding; the future gives the model's input pixels or fails with the
     * preprocessor's {@link dev.mmr.encoder.ImageDecodeException}.
     *
     * @throws ApiException 429 when the client already has {@value #PER_CLIENT} images here
     * @throws RejectedExecutionException when {@value #CAPACITY} images are waiting, or the lane is closed
     */
    synchronized CompletableFuture<float[]> submit(String client, byte[] image) {
        if (closed || queued >= CAPACITY) {
            throw new RejectedExecutionException("large-image lane full");
        }
        if (heldByClient.getOrDefault(client, 0) >= PER_CLIENT) {
            throw new ApiException(429, "too_many_large_images", "at most " + PER_CLIENT + " images of more than "
                    + LARGE_PIXELS + " pixels per client at a time; wait for the previous ones");
        }
        Job job = new Job(client, image, new CompletableFuture<>());
        waiting.computeIfAbsent(client, c -> new ArrayDeque<>()).add(job);
        heldByClient.merge(client, 1, Integer::sum);
        queued++;
        notify();
        return job.pixels();
    }

    private void work() {
        try {
            while (true) {
                Job job = take();
                try {
                    job.pixels().complete(preprocessor.preprocess(job.image()));
                } catch (Throwable t) {
                    job.pixels().completeExceptionally(t);
                } finally {
                    release(job.client());
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** The oldest image of the client whose turn it is; that client then goes to the back of the turn order. */
    private synchronized Job take() throws InterruptedException {
        while (waiting.isEmpty()) {
            wait();
        }
        String client = waiting.keySet().iterator().next();
        ArrayDeque<Job> jobs = waiting.remove(client);
        Job job = jobs.poll();
        if (!jobs.isEmpty()) {
            waiting.put(client, jobs);
        }
        queued--;
        return job;
    }

    private synchronized void release(String client) {
        heldByClient.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
    }

    synchronized int queued() {
        return queued;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            waiting.values().forEach(jobs -> jobs.forEach(j -> j.pixels().completeExceptionally(new RejectedExecutionException("closing"))));
            waiting.clear();
        }
        threads.forEach(Thread::interrupt);
    }
}
