package dev.mmr.app.indexer;

import dev.mmr.app.MmrCommand;
import dev.mmr.app.encoder.EncoderOptions;
import dev.mmr.encoder.ImageDecodeException;
import dev.mmr.encoder.ImagePreprocessor;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench-index", mixinStandardHelpOptions = true,
        description = {"Measures the indexer's own overhead: end-to-end indexing images/s (read, decode, encode, Lucene, commits)",
                "beside encoder-only images/s (as many images, encoded in the same batches by as many calls at once, cycling",
                "over the source's first " + BenchIndexCommand.SAMPLE_BATCHES + " batches preprocessed in memory), in one run;",
                "and the decoding threads' images/s on that sample (the run's first images, so the JIT's warm-up included)."})
public final class BenchIndexCommand implements Callable<Integer>, MmrCommand {
    /** Batches of the source held preprocessed in memory for the encoder-only run (its images are cycled over). */
    static final int SAMPLE_BATCHES = 8;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "model folder")
    Path model;

    @Option(names = "--source", required = true, description = "a tree, archive or manifest, as for index")
    Path source;

    @Option(names = "--under", description = "only the subtree under this folder, e.g. train")
    String under;

    @Option(names = "--limit", defaultValue = "0", description = "only the first N images (0: all)")
    long limit;

    @Option(names = "--batch", description = "images per encoder batch (default: the device's preferred batch)")
    Integer batchOption;

    @Mixin
    EncoderOptions device;

    private int batch;

    @Option(names = "--threads", description = "decoding threads (default: half the cores)")
    Integer threads;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        try (MatMambaModel encoder = device.load(model)) {
            batch = batchOption != null ? batchOption : encoder.preferredBatch();
            if (batch <= 0) {
                throw new IllegalArgumentException("--batch must be positive, got " + batch);
            }
            int decodeThreads = threads != null ? threads : BulkIndexer.Options.DEFAULT.decodeThreads();
            Sample sample = warmedUpSample(encoder, decodeThreads);
            Path scratch = Files.createTempDirectory("mmr-bench-index");
            BulkIndexer.Result result;
            try (ImageSource corpus = ImageSource.open(source, under);
                 ImageIndexWriter writer = ImageIndexWriter.open(scratch, encoder, IndexSettings.DEFAULT)) {
                BulkIndexer.Options defaults = BulkIndexer.Options.DEFAULT;
                BulkIndexer.Options options = new BulkIndexer.Options(batch, decodeThreads, defaults.commitEvery(),
                        defaults.commitInterval(), limit);
                result = new BulkIndexer(encoder, writer, options).run(corpus, scratch.resolve("rejects.tsv"));
            } finally {
                try (Stream<Path> files = Files.walk(scratch)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
            EncoderOnly encoderOnly = encoderOnly(encoder, sample, result.indexed());
            double encodeRate = encoderOnly.images / encoderOnly.seconds;
            double indexRate = result.imagesPerSecond();
            out.printf(Locale.ROOT, "model %s (D %d) on %s, source %s, batch %d, %d decoding threads, %d cores%n", model,
                    encoder.embeddingDim(), encoder.device(), source + (under == null ? "" : " under " + under), batch,
                    decodeThreads, Runtime.getRuntime().availableProcessors());
            out.println("| run | images | seconds | images/s |");
            out.println("|---|---:|---:|---:|");
            out.printf(Locale.ROOT, "| encoder only (%d preprocessed in memory, %d calls at once) | %d | %.2f | %.1f |%n",
                    sample.images, encoder.concurrency(), encoderOnly.images, encoderOnly.seconds, encodeRate);
            out.printf(Locale.ROOT, "| decoding and preprocessing only (the sample, %d threads) | %d | %.2f | %.1f |%n",
                    decodeThreads, sample.images, sample.decodeSeconds, sample.images / sample.decodeSeconds);
            out.printf(Locale.ROOT, "| indexing end to end | %d | %.2f | %.1f |%n", result.indexed() + result.rejected(), result.seconds(), indexRate);
            out.printf(Locale.ROOT, "indexer overhead: %.1f%% of encoder-only throughput (target < 15%%)%n", 100 * (1 - indexRate / encodeRate));
        }
        return 0;
    }

    private record EncoderOnly(long images, double seconds) {
    }

    /**
     * The source's first decodable images, packed into whole batches (the last filled up from the start), and how
     * long the decoding threads took to decode and preprocess them.
     */
    private record Sample(float[][] batches, int images, double decodeSeconds) {
    }

    /** The sample, after one round of {@code concurrency()} calls on it (so that neither run pays the warm-up). */
    private Sample warmedUpSample(MatMambaModel encoder, int decodeThreads) throws IOException, InterruptedException {
        Sample sample = preprocessedSample(encoder, decodeThreads);
        runBatches(encoder, sample.batches, encoder.concurrency(), encoder.concurrency());
        return sample;
    }

    /**
     * Times encoding alone: {@code images} images (at least one pass over the sample) in batches, by
     * {@code concurrency()} calls at once, cycling over the sample.
     */
    private EncoderOnly encoderOnly(MatMambaModel encoder, Sample sample, long images) throws InterruptedException {
        int calls = encoder.concurrency();
        long batches = Math.max(Math.ceilDiv(Math.max(images, sample.images), batch), calls);
        long start = System.nanoTime();
        runBatches(encoder, sample.batches, batches, calls);
        return new EncoderOnly(batches * batch, (System.nanoTime() - start) / 1e9);
    }

    /** The first {@link #SAMPLE_BATCHES} batches' decodable images, preprocessed by {@code threads} threads. */
    private Sample preprocessedSample(MatMambaModel encoder, int threads) throws IOException, InterruptedException {
        ImagePreprocessor preprocessor = encoder.preprocessor();
        List<byte[]> raw = new ArrayList<>();
        long wanted = limit > 0 ? Math.min(limit, (long) SAMPLE_BATCHES * batch) : (long) SAMPLE_BATCHES * batch;
        try (ImageSource corpus = ImageSource.open(source, under)) {
            corpus.scan((entry, content) -> {
                if (raw.size() >= wanted) return false;
                raw.add(content.read());
                return true;
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<float[]>> decoded = new ArrayList<>();
            for (byte[] bytes : raw) {
                decoded.add(pool.submit(() -> {
                    try {
                        return preprocessor.preprocess(bytes);
                    } catch (ImageDecodeException e) {
                        return null; // the indexing run rejects it too
                    }
                }));
            }
            List<float[]> images = new ArrayList<>();
            for (Future<float[]> f : decoded) {
                float[] image = f.get();
                if (image != null) images.add(image);
            }
            double decodeSeconds = (System.nanoTime() - start) / 1e9;
            if (images.isEmpty()) throw new IllegalArgumentException("no decodable images in " + source);
            return new Sample(packBatches(images), images.size(), decodeSeconds);
        } catch (ExecutionException e) {
            throw new IllegalStateException("preprocessing the sample failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Images packed into whole batches, the last one filled up from the start. */
    private float[][] packBatches(List<float[]> sample) {
        int size = sample.get(0).length;
        float[][] packed = new float[(sample.size() + batch - 1) / batch][];
        for (int b = 0; b < packed.length; b++) {
            packed[b] = new float[batch * size];
            for (int i = 0; i < batch; i++) {
                System.arraycopy(sample.get((b * batch + i) % sample.size()), 0, packed[b], i * size, size);
            }
        }
        return packed;
    }

    /** Encodes {@code count} batches, cycling over {@code packed}, by {@code calls} threads at once. */
    private void runBatches(MatMambaModel encoder, float[][] packed, long count, int calls) throws InterruptedException {
        Widths full = encoder.full();
        AtomicLong next = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < calls; t++) {
                work.add(pool.submit(() -> {
                    for (long b; (b = next.getAndIncrement()) < count; ) {
                        encoder.encode(packed[(int) (b % packed.length)], batch, full);
                    }
                }));
            }
            for (Future<?> f : work) f.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("encoding failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }
}
