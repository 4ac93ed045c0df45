package dev.mmr.search;

import dev.mmr.encoder.EncodeBatch;
import dev.mmr.encoder.EncodeResult;
import dev.mmr.encoder.ImageDecodeException;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Decodes and encodes query images on a fixed set of worker threads, several images of one submodel per encoder call.
 * Images wait in one first-come queue of bounded length (beyond it {@link #submit} refuses at once); a free worker
 * takes the oldest waiting image together with the others of the same submodel waiting at that moment, up to
 * {@code maxBatch}, without waiting for more to arrive. Each image is decoded on its own, so a bad image fails only
 * its own request.
 */
final class QueryEncoder implements AutoCloseable {
    /** One query's embedding and how many images shared its encoder call. */
    record Encoded(float[] embedding, int batchSize) {
    }

    /** A query image as bytes to decode here, or as pixels decoded elsewhere (see {@link LargeImageLane}). */
    private record Job(byte[] image, float[] pixels, Widths widths, CompletableFuture<Encoded> result) {
    }

    private final MatMambaModel model;
    private final int queueCapacity;
    private final int maxBatch;
    private final ArrayDeque<Job> waiting = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    private int idleWorkers;
    private boolean closed;

    QueryEncoder(MatMambaModel model, int workers, int queueCapacity, int maxBatch) {
        this.model = model;
        this.queueCapacity = queueCapacity;
        this.maxBatch = maxBatch;
        for (int i = 0; i < workers; i++) {
            this.workers.add(Thread.ofPlatform().name("encode-" + i).daemon().start(this::work));
        }
    }

    /**
     * Queues one query image for {@code widths}; the future fails with {@link ImageDecodeException} if it is not a
     * usable image.
     *
     * @throws RejectedExecutionException when every worker is busy and the queue is full, or the encoder is closed
     */
    CompletableFuture<Encoded> submit(byte[] image, Widths widths) {
        return submit(new Job(image, null, widths, new CompletableFuture<>()));
    }

    /** Queues one query image already decoded to the model's input pixels. */
    CompletableFuture<Encoded> submitDecoded(float[] pixels, Widths widths) {
        return submit(new Job(null, pixels, widths, new CompletableFuture<>()));
    }

    private synchronized CompletableFuture<Encoded> submit(Job job) {
        if (closed || waiting.size() >= queueCapacity + idleWorkers) {
            throw new RejectedExecutionException("queue full");
        }
        waiting.add(job);
        notify();
        return job.result();
    }

    synchronized int queued() {
        return waiting.size();
    }

    synchronized int active() {
        return workers.size() - idleWorkers;
    }

    private void work() {
        try {
            while (true) {
                List<Job> batch = takeBatch();
                try {
                    encode(batch);
                } catch (Throwable t) {
                    batch.forEach(job -> job.result().completeExceptionally(t));
                }
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** Blocks for the oldest waiting image, then takes the others of its submodel waiting now, up to the batch size. */
    private synchronized List<Job> takeBatch() throws InterruptedException {
        idleWorkers++;
        try {
            while (waiting.isEmpty()) {
                wait();
            }
        } finally {
            idleWorkers--;
        }
        Job first = waiting.poll();
        List<Job> batch = new ArrayList<>(List.of(first));
        for (Iterator<Job> it = waiting.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
            Job next = it.next();
            if (next.widths().name().equals(first.widths().name())) {
                batch.add(next);
                it.remove();
            }
        }
        return batch;
    }

    /** Decodes each image of the batch (a bad one fails alone), then encodes the rest in one call. */
    private void encode(List<Job> batch) {
        List<Job> pending = batch.stream().filter(job -> !job.result().isDone()).toList();
        if (pending.isEmpty()) {
            return;
        }
        List<EncodeBatch.Image> images = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            Job job = pending.get(i);
            images.add(job.pixels() != null ? new EncodeBatch.ImagePixels(Integer.toString(i), job.pixels())
                    : new EncodeBatch.ImageBytes(Integer.toString(i), job.image()));
        }
        EncodeResult result = model.encode(new EncodeBatch(images), model.submodel(pending.getFirst().widths()));
        result.failures().forEach(f -> pending.get(f.index()).result().completeExceptionally(f.cause()));
        result.embedded().forEach(e -> pending.get(e.index()).result().complete(new Encoded(e.embedding(), result.embedded().size())));
    }

    /** Stops the workers; images still waiting fail with a {@link RejectedExecutionException}. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            waiting.forEach(job -> job.result().completeExceptionally(new RejectedExecutionException("the service is closing")));
            waiting.clear();
        }
        workers.forEach(Thread::interrupt);
    }
}
