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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench-index", mixinStandardHelpOptions = true,
        description = {"Measures the indexer's own overhead: end-to-end indexing images/s (read, decode, encode, Lucene, commits)",
                "beside encoder-only images/s (the same images preprocessed in memory, encoded in the same batches), in one run.",
                "The images are held in memory preprocessed: use --limit for large sources."})
public final class BenchIndexCommand implements Callable<Integer>, MmrCommand {
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
            EncoderOnly encoderOnly = encoderOnly(encoder);

            Path scratch = Files.createTempDirectory("mmr-bench-index");
            BulkIndexer.Result result;
            try (ImageSource again = ImageSource.open(source, under);
                 ImageIndexWriter writer = ImageIndexWriter.open(scratch, encoder, IndexSettings.DEFAULT)) {
                BulkIndexer.Options defaults = BulkIndexer.Options.DEFAULT;
                BulkIndexer.Options options = new BulkIndexer.Options(batch, threads != null ? threads : defaults.decodeThreads(),
                        defaults.commitEvery(), defaults.commitInterval(), limit);
                result = new BulkIndexer(encoder, writer, options).run(again, scratch.resolve("rejects.tsv"));
            } finally {
                try (Stream<Path> files = Files.walk(scratch)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
                }
            }
            double encodeRate = encoderOnly.images / encoderOnly.seconds;
            double indexRate = result.imagesPerSecond();
            out.printf(Locale.ROOT, "model %s (D %d) on %s, source %s, batch %d, %d decoding threads, %d cores%n", model,
                    encoder.embeddingDim(), encoder.device(), source + (under == null ? "" : " under " + under), batch,
                    threads != null ? threads : BulkIndexer.Options.DEFAULT.decodeThreads(), Runtime.getRuntime().availableProcessors());
            out.println("| run | images | seconds | images/s |");
            out.println("|---|---:|---:|---:|");
            out.printf(Locale.ROOT, "| encoder only (preprocessed in memory) | %d | %.2f | %.1f |%n", encoderOnly.images, encoderOnly.seconds, encodeRate);
            out.printf(Locale.ROOT, "| indexing end to end | %d | %.2f | %.1f |%n", result.indexed() + result.rejected(), result.seconds(), indexRate);
            out.printf(Locale.ROOT, "indexer overhead: %.1f%% of encoder-only throughput (target < 15%%)%n", 100 * (1 - indexRate / encodeRate));
        }
        return 0;
    }

    private record EncoderOnly(int images, double seconds) {
    }

    /** Times encoding alone over the source's images, preprocessed in memory beforehand, after a warm-up. */
    private EncoderOnly encoderOnly(MatMambaModel encoder) throws IOException, InterruptedException {
        List<float[]> images = preprocessed(encoder);
        if (images.isEmpty()) throw new IllegalArgumentException("no decodable images in " + source);
        Widths full = encoder.full();
        encodeAll(encoder, images.subList(0, Math.min(images.size(), batch * 2)), full);
        long start = System.nanoTime();
        encodeAll(encoder, images, full);
        return new EncoderOnly(images.size(), (System.nanoTime() - start) / 1e9);
    }

    private List<float[]> preprocessed(MatMambaModel encoder) throws IOException, InterruptedException {
        ImagePreprocessor preprocessor = encoder.preprocessor();
        List<float[]> images = new ArrayList<>();
        long[] seen = {0};
        try (ImageSource corpus = ImageSource.open(source, under)) {
            corpus.scan((entry, content) -> {
                if (limit > 0 && seen[0] >= limit) return false;
                seen[0]++;
                try {
                    images.add(preprocessor.preprocess(content.read()));
                } catch (ImageDecodeException e) {
                    // the indexing run rejects it too
                }
                return true;
            });
        }
        return images;
    }

    private void encodeAll(MatMambaModel encoder, List<float[]> images, Widths full) {
        int size = images.get(0).length;
        for (int from = 0; from < images.size(); ) {
            int n = Math.min(batch, images.size() - from);
            float[] pixels = new float[n * size];
            for (int i = 0; i < n; i++) System.arraycopy(images.get(from + i), 0, pixels, i * size, size);
            encoder.encode(pixels, n, full);
            from += n;
        }
    }
}
