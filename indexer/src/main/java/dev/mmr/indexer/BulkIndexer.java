package dev.mmr.indexer;

import dev.mmr.encoder.EncodeBatch;
import dev.mmr.encoder.EncodeResult;
import dev.mmr.encoder.ImagePreprocessor;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Submodel;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills a store from a source at full width, resumably. A pipeline of typed stages joined by bounded {@link Channel}s:
 * one thread scans the source and reads bytes ({@code Raw}), {@code decodeThreads} threads decode and preprocess
 * ({@code Decoded}), as many threads as the encoder runs calls at once ({@link MatMambaModel#concurrency()}) encode in
 * batches ({@code Encoded}), and one thread writes them through the
 * {@link ImageStoreWriter} (which may spread a batch over threads of its own) and commits every {@code commitEvery} images or {@code commitInterval}.
 *
 * <p>Resume: images whose id was committed before the run are skipped without reading their bytes; everything else
 * is (re-)encoded and written by id, so a rerun after a crash or {@code kill -9} at any moment ends with every image
 * exactly once. Unreadable images are listed in the rejects file and counted; they never stop the run.
 */
public final class BulkIndexer {
    /**
     * @param batchSize      images per {@link MatMambaModel#encode} call
     * @param decodeThreads  threads decoding and preprocessing images
     * @param commitEvery    commit after this many images written
     * @param commitInterval ... or after this much time
     * @param limit          only the first {@code limit} images of the source; 0 for all
     */
    public record Options(int batchSize, int decodeThreads, int commitEvery, Duration commitInterval, long limit) {
        public static final Options DEFAULT =
                new Options(64, Math.max(1, Runtime.getRuntime().availableProcessors() / 2), 10_000, Duration.ofSeconds(60), 0);

        public Options {
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
            if (decodeThreads < 1) throw new IllegalArgumentException("decode threads must be at least 1");
            if (commitEvery < 1) throw new IllegalArgumentException("commit-every must be at least 1");
            if (limit < 0) throw new IllegalArgumentException("limit must not be negative");
        }
    }

    /** Live counts, readable from any thread (e.g. by {@link Progress}). */
    public static final class Counters {
        /** Source entries visited, skipped ones included. */
        public final AtomicLong scanned = new AtomicLong();
        /** Already committed before this run. */
        public final AtomicLong skipped = new AtomicLong();
        public final AtomicLong indexed = new AtomicLong();
        public final AtomicLong rejected = new AtomicLong();
    }

    /** What one run did. */
    public record Result(long scanned, long skipped, long indexed, long rejected, int rejectsListed, double seconds) {
        public double imagesPerSecond() {
            return seconds > 0 ? (indexed + rejected) / seconds : 0;
        }
    }

    private record Raw(ImageEntry entry, byte[] bytes) {
    }

    private record Decoded(ImageEntry entry, float[] pixels) {
    }

    private record Encoded(List<ImageEntry> entries, EncodeResult result) {
    }

    private final MatMambaModel model;
    private final ImageStoreWriter writer;
    private final Options options;
    private final Counters counters = new Counters();

    public BulkIndexer(MatMambaModel model, ImageStoreWriter writer, Options options) {
        this.model = model;
        this.writer = writer;
        this.options = options;
    }

    public Counters counters() {
        return counters;
    }

    /** Fraction done: of the limit when there is one, else of the source. */
    public double fractionDone(ImageSource source) {
        return options.limit > 0 ? Math.min(1, (double) counters.scanned.get() / options.limit) : source.fractionScanned();
    }

    /** Indexes the source; returns when every image is written and committed. */
    public Result run(ImageSource source, Path rejectsFile) throws IOException, InterruptedException {
        long start = System.nanoTime();
        try (Rejects rejects = new Rejects(rejectsFile, writer::committed)) {
            new Pipeline(source, rejects).run();
            return new Result(counters.scanned.get(), counters.skipped.get(), counters.indexed.get(), counters.rejected.get(),
                    rejects.count(), (System.nanoTime() - start) / 1e9);
        }
    }

    /** One run's threads and queues. */
    private final class Pipeline {
        private final ImageSource source;
        private final Rejects rejects;
        private final String sourceDescription;
        private final Channel<Raw> toDecode;
        private final Channel<Decoded> toEncode;
        private final int encoders = model.concurrency();
        private final Channel<Encoded> toWrite = new Channel<>(2 * encoders, encoders, 1);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final List<Thread> threads = new ArrayList<>();
        private final Thread caller = Thread.currentThread();

        Pipeline(ImageSource source, Rejects rejects) {
            this.source = source;
            this.rejects = rejects;
            this.sourceDescription = source.describe() + (options.limit > 0 ? " (first " + options.limit + ")" : "");
            this.toDecode = new Channel<>(options.batchSize * 4, 1, options.decodeThreads);
            this.toEncode = new Channel<>(options.batchSize * 4, options.decodeThreads, encoders);
        }

        void run() throws IOException, InterruptedException {
            start("scan", this::scan);
            ImagePreprocessor preprocessor = model.preprocessor();
            for (int i = 0; i < options.decodeThreads; i++) start("decode-" + i, () -> decode(preprocessor));
            for (int i = 0; i < encoders; i++) start("encode-" + i, this::encode);
            Thread write = start("write", this::write);
            try {
                write.join();
            } catch (InterruptedException | RuntimeException e) {
                if (failure.get() == null) throw e;
            } finally {
                threads.forEach(Thread::interrupt);
                joinAll();
            }
            Throwable failed = failure.get();
            if (failed instanceof IOException io) throw io;
            if (failed instanceof RuntimeException re) throw re;
            if (failed instanceof Error error) throw error;
            if (failed != null) throw new IOException(failed);
        }

        /** Waits for every stage to stop, even if interrupted meanwhile (a stage that fails interrupts the caller). */
        private void joinAll() {
            boolean interrupted = false;
            for (Thread t : threads) {
                while (t.isAlive()) {
                    try {
                        t.join();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted && failure.get() == null) Thread.currentThread().interrupt();
        }

        private interface Work {
            void run() throws Exception;
        }

        private Thread start(String name, Work work) {
            Thread thread = new Thread(() -> {
                try {
                    work.run();
                } catch (InterruptedException e) {
                    // stopped because another stage failed
                } catch (Throwable e) {
                    if (failure.compareAndSet(null, e)) caller.interrupt();
                }
            }, "index-" + name);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
            return thread;
        }

        private void scan() throws IOException, InterruptedException {
            source.scan((entry, content) -> {
                if (options.limit > 0 && counters.scanned.get() >= options.limit) return false;
                counters.scanned.incrementAndGet();
                if (writer.committed(entry.id())) {
                    counters.skipped.incrementAndGet();
                    return true;
                }
                byte[] bytes;
                try {
                    bytes = content.read();
                } catch (IOException e) {
                    reject(entry, "unreadable: " + e);
                    return true;
                }
                toDecode.send(new Raw(entry, bytes));
                return true;
            });
            toDecode.done();
        }

        private void decode(ImagePreprocessor preprocessor) throws IOException, InterruptedException {
            for (Optional<Raw> next = toDecode.take(); next.isPresent(); next = toDecode.take()) {
                Raw raw = next.get();
                float[] pixels;
                try {
                    pixels = preprocessor.preprocess(raw.bytes);
                } catch (IOException | RuntimeException e) {
                    reject(raw.entry, e.getMessage() == null ? e.toString() : e.getMessage());
                    continue;
                }
                toEncode.send(new Decoded(raw.entry, pixels));
            }
            toEncode.done();
        }

        private void encode() throws InterruptedException {
            Submodel full = model.submodel(model.full());
            List<Decoded> batch = new ArrayList<>(options.batchSize);
            boolean more = true;
            while (more) {
                Optional<Decoded> next = toEncode.take();
                next.ifPresent(batch::add);
                more = next.isPresent();
                if (batch.size() == options.batchSize || (!more && !batch.isEmpty())) {
                    List<ImageEntry> entries = batch.stream().map(Decoded::entry).toList();
                    EncodeBatch images = new EncodeBatch(batch.stream()
                            .<EncodeBatch.Image>map(d -> new EncodeBatch.ImagePixels(d.entry.id(), d.pixels)).toList());
                    toWrite.send(new Encoded(entries, model.encode(images, full)));
                    batch.clear();
                }
            }
            toWrite.done();
        }

        private void write() throws IOException, InterruptedException {
            long lastCommit = System.nanoTime();
            long sinceCommit = 0;
            for (Optional<Encoded> next = toWrite.take(); next.isPresent(); next = toWrite.take()) {
                Encoded encoded = next.get();
                List<EncodeResult.Embedded> embedded = encoded.result.embedded();
                writer.put(embedded.stream().map(e -> encoded.entries.get(e.index())).toList(),
                        embedded.stream().map(EncodeResult.Embedded::embedding).toList());
                for (EncodeResult.Failure f : encoded.result.failures()) reject(encoded.entries.get(f.index()), f.message());
                counters.indexed.addAndGet(embedded.size());
                sinceCommit += embedded.size();
                if (sinceCommit >= options.commitEvery || System.nanoTime() - lastCommit >= options.commitInterval.toNanos()) {
                    commit(IndexSchema.STATE_PARTIAL);
                    lastCommit = System.nanoTime();
                    sinceCommit = 0;
                }
            }
            rejects.sync();
            writer.commitSettled(progress(IndexSchema.STATE_COMPLETE));
        }

        private void reject(ImageEntry entry, String reason) throws IOException {
            counters.rejected.incrementAndGet();
            rejects.add(entry.id(), reason);
        }

        private void commit(String state) throws IOException {
            rejects.sync();
            writer.commit(progress(state));
        }

        private Map<String, String> progress(String state) {
            return Map.of(IndexSchema.SOURCE, sourceDescription, IndexSchema.STATE, state, IndexSchema.REJECTED, Integer.toString(rejects.count()));
        }
    }
}
