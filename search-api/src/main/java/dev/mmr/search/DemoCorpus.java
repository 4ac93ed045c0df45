package dev.mmr.search;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Progress;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo: the 10,000 test images of CIFAR-10 in {@code data/cifar10.tar.xz}, read in place from the archive and
 * indexed at full width by the shipped model ({@code models/cifar10}, else {@code models/golden-tiny}, whose random
 * weights make meaningless but working results) into {@code runs/demo/index-<fingerprint>}. Built once, resumed if
 * interrupted, reused afterwards; a new model gets a new index.
 */
final class DemoCorpus {
    static final String ARCHIVE = "data/cifar10.tar.xz";
    static final String SPLIT = "test";
    static final int IMAGES = 10_000;
    /** Seconds between progress lines when the output is not a terminal (on a terminal a bar is redrawn in place). */
    private static final int PLAIN_PROGRESS_SECONDS = 10;

    record Setup(Path model, Path index) {
    }

    private DemoCorpus() {
    }

    static Setup prepare(Path root, PrintStream out) throws IOException, InterruptedException {
        Path model = root.resolve("models/cifar10");
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            model = root.resolve("models/golden-tiny");
            out.println("models/cifar10 is not there yet: the demo uses models/golden-tiny instead, a real checkpoint with"
                    + " random weights, so the search works but its results are not meaningful.");
        }
        Path archive = root.resolve(ARCHIVE);
        if (!Files.isRegularFile(archive)) {
            throw new IOException("the demo corpus " + archive + " is missing");
        }
        try (MatMambaModel loaded = MatMambaModel.load(model)) {
            Path index = root.resolve("runs/demo/index-" + loaded.fingerprint().substring(0, 12));
            if (complete(index, loaded)) {
                return new Setup(model, index);
            }
            out.printf("Indexing the demo corpus: the %s split of %s (10,000 images) with %s into %s%n", SPLIT, ARCHIVE,
                    root.relativize(model), root.relativize(index));
            try (ImageIndexWriter writer = ImageIndexWriter.open(index, loaded, IndexSettings.DEFAULT);
                 ImageSource source = ImageSource.open(archive, SPLIT)) {
                BulkIndexer indexer = new BulkIndexer(loaded, writer, BulkIndexer.Options.DEFAULT);
                BulkIndexer.Result result;
                // The archive's byte position would start near 85% (the test split follows the training split), so the
                // share done is counted in images of the split.
                BulkIndexer.Counters done = indexer.counters();
                try (Progress progress = new Progress(done, () -> (done.indexed.get() + done.rejected.get() + done.skipped.get()) / (double) IMAGES,
                        new PrintWriter(out, true), System.console() != null, PLAIN_PROGRESS_SECONDS)) {
                    result = indexer.run(source, index.resolve("rejects.tsv"));
                }
                out.printf("Indexed %d images (%d rejected) in %.1f s, %.0f images/s%n", result.indexed(), result.rejected(),
                        result.seconds(), result.imagesPerSecond());
            }
            return new Setup(model, index);
        }
    }

    private static boolean complete(Path index, MatMambaModel model) {
        if (!Files.isDirectory(index)) {
            return false;
        }
        try (ImageIndex opened = ImageIndex.open(index, model)) {
            return opened.info().complete();
        } catch (IOException e) {
            return false;
        }
    }
}
