package dev.mmr.app.indexer;

import dev.mmr.app.MmrCommand;
import dev.mmr.app.encoder.EncoderOptions;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.IndexMismatchException;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Progress;
import dev.mmr.indexer.Quantization;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "index", mixinStandardHelpOptions = true,
        description = {"Encodes every image of a source at full width into a Lucene HNSW index (--index) or a SolrCloud collection (--solr).",
                "Resumable: rerun the same command after an interruption; committed images are skipped.",
                "Unreadable images are listed in the rejects file (id<TAB>reason) and never stop the run."})
public final class IndexCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "model folder (config.json, weights)")
    Path model;

    @Option(names = "--source", required = true,
            description = "an ImageFolder tree, a .tar/.tar.gz/.tar.xz archive of one, or a .csv/.jsonl manifest (id,path[,label][,fields])")
    Path source;

    @Mixin
    StoreOptions store;

    @Option(names = "--under", description = "only the subtree under this folder of a tree or archive, e.g. train")
    String under;

    @Option(names = "--limit", defaultValue = "0", description = "only the first N images of the source (0: all)")
    long limit;

    @Option(names = "--batch", description = "images per encoder batch (default: the device's preferred batch)")
    Integer batch;

    @Mixin
    EncoderOptions device;

    @Option(names = "--threads", description = "decoding threads (default: half the cores)")
    Integer threads;

    @Option(names = "--commit-every", defaultValue = "10000", description = "commit after this many images (default: ${DEFAULT-VALUE})")
    int commitEvery;

    @Option(names = "--commit-seconds", defaultValue = "60", description = "... or after this many seconds (default: ${DEFAULT-VALUE})")
    int commitSeconds;

    @Option(names = "--max-connections", description = "HNSW neighbours per node, for a new index (default: 16)")
    Integer maxConnections;

    @Option(names = "--beam-width", description = "HNSW insertion beam width, for a new index (default: 100)")
    Integer beamWidth;

    @Option(names = "--quantization", description = "graph vectors: none, int7, int4 or binary, for a new index (default: none)")
    String quantization;

    @Option(names = "--rejects", description = "rejects file (default: <index>/rejects.tsv, or rejects-<collection>.tsv)")
    Path rejects;

    @Option(names = "--quiet", description = "no progress output")
    boolean quiet;

    @Override
    public Integer call() throws IOException, InterruptedException {
        IndexSettings requested = new IndexSettings(
                maxConnections != null ? maxConnections : IndexSettings.DEFAULT.maxConnections(),
                beamWidth != null ? beamWidth : IndexSettings.DEFAULT.beamWidth(),
                quantization != null ? Quantization.parse(quantization) : IndexSettings.DEFAULT.quantization());
        PrintWriter out = spec.commandLine().getOut();
        StoreAddress address = store.address();
        Path rejectsFile = rejects != null ? rejects : address.defaultRejectsFile();
        try (ImageSource images = ImageSource.open(source, under);
             MatMambaModel encoder = device.load(model);
             ImageStoreWriter writer = Stores.openWriter(address, encoder, requested)) {
            checkSettings(writer);
            BulkIndexer.Options options = new BulkIndexer.Options(batch != null ? batch : encoder.preferredBatch(),
                    threads != null ? threads : BulkIndexer.Options.DEFAULT.decodeThreads(), commitEvery, Duration.ofSeconds(commitSeconds), limit);
            BulkIndexer indexer = new BulkIndexer(encoder, writer, options);
            BulkIndexer.Result result;
            try (Progress progress = quiet ? Progress.silent() : Progress.of(indexer, images)) {
                result = indexer.run(images, rejectsFile);
            }
            out.printf(Locale.ROOT, "indexed %,d, skipped %,d (already indexed), rejected %,d in %.1f s (%,.0f images/s); %s%n",
                    result.indexed(), result.skipped(), result.rejected(), result.seconds(), result.imagesPerSecond(), writer.describe());
            if (result.rejectsListed() > 0)
                out.printf(Locale.ROOT, "%,d rejected images listed in %s%n", result.rejectsListed(), rejectsFile);
            return 0;
        }
    }

    /** An existing index keeps its settings; asking for different ones is an error rather than silently ignored. */
    private void checkSettings(ImageStoreWriter writer) throws IndexMismatchException {
        IndexSettings actual = writer.settings();
        if ((maxConnections != null && maxConnections != actual.maxConnections())
                || (beamWidth != null && beamWidth != actual.beamWidth())
                || (quantization != null && Quantization.parse(quantization) != actual.quantization()))
            throw new IndexMismatchException("the " + writer.describe() + " was created with max connections " + actual.maxConnections()
                    + ", beam width " + actual.beamWidth() + ", quantization " + actual.quantization().key()
                    + "; these cannot change (omit the options, or index into a new folder)");
    }
}
