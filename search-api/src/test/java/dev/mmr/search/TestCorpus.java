package dev.mmr.search;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.mmr.indexer.ImageRecord;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A real index for tests: the first {@value #PER_CLASS} test images of each CIFAR-10 class, taken from
 * {@code data/cifar10.tar.xz} into an ImageFolder under {@code target/}, indexed by {@code models/golden-tiny}
 * with the indexer's bulk pipeline. Built once per build folder and shared by the test classes.
 */
public final class TestCorpus {
    public static final int PER_CLASS = 30;
    public static final int CLASSES = 10;

    private TestCorpus() {
    }

    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("models"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no project folder (with models/) above " + Path.of("").toAbsolutePath());
    }

    public static Path model() {
        return root().resolve("models/golden-tiny");
    }

    /** The folder of extracted images ({@code <class>/<file>.jpg}). */
    public static synchronized Path images() {
        Path folder = root().resolve("target/test-corpus/images");
        if (Files.isRegularFile(folder.resolve(".complete"))) {
            return folder;
        }
        try (ImageSource archive = ImageSource.open(root().resolve("data/cifar10.tar.xz"), "test")) {
            Map<String, Integer> taken = new HashMap<>();
            archive.scan((entry, content) -> {
                if (taken.merge(entry.label(), 1, Integer::sum) <= PER_CLASS) {
                    Path file = folder.resolve(entry.label()).resolve(entry.id().substring(entry.id().lastIndexOf('/') + 1));
                    Files.createDirectories(file.getParent());
                    Files.write(file, content.read());
                }
                return taken.size() < CLASSES || taken.values().stream().anyMatch(n -> n < PER_CLASS);
            });
            Files.writeString(folder.resolve(".complete"), "");
            return folder;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The index of {@link #images()} made by {@link #model()}. */
    public static synchronized Path index(MatMambaModel model) {
        Path index = root().resolve("target/test-corpus/index-" + model.fingerprint().substring(0, 12));
        try {
            if (Files.isDirectory(index)) {
                try (ImageIndex existing = ImageIndex.open(index, model)) {
                    if (existing.info().complete()) {
                        return index;
                    }
                }
            }
            try (ImageIndexWriter writer = ImageIndexWriter.open(index, model, IndexSettings.DEFAULT);
                 ImageSource source = ImageSource.open(images(), null)) {
                new BulkIndexer(model, writer, BulkIndexer.Options.DEFAULT).run(source, index.resolve("rejects.tsv"));
            }
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A running server over the test index with the given limits; close it after use. */
    public static Running start(ServiceLimits limits, Path reports) throws IOException {
        MatMambaModel model = MatMambaModel.load(model());
        return start(model, index(model), limits, reports);
    }

    /** A running server over {@code indexDir}, made by {@code model}; closing it closes the model too. */
    public static Running start(MatMambaModel model, Path indexDir, ServiceLimits limits, Path reports) throws IOException {
        return start(model, indexDir, limits, reports, null);
    }

    /** As {@link #start(MatMambaModel, Path, ServiceLimits, Path)}, with the write API on for {@code writeToken} (null: off). */
    static Running start(MatMambaModel model, Path indexDir, ServiceLimits limits, Path reports, String writeToken) throws IOException {
        ImageIndex index = ImageIndex.open(indexDir, model);
        SearchService service = new SearchService(model, index, new Reports(reports), limits);
        ItemWrites writes = writeToken == null ? ItemWrites.disabled() : new StoreItemWrites(writeToken, new StoreAddress.LocalIndex(indexDir), model, index);
        return new Running(model, index, service, SearchServer.start(service, writes, "127.0.0.1", 0));
    }

    /**
     * A new index at {@code target} holding the {@code count} images of the test index first by id (their stored
     * embeddings and files: the same every run, whatever order the test index's documents were written in, so a
     * test can tell which images it holds) and each of {@code extra} (id to file) with the embedding of the first
     * image: for tests that need their own index to change, or images the indexer would not take.
     */
    public static Path smallIndex(Path target, MatMambaModel model, int count, Map<String, Path> extra) throws IOException {
        Map<String, ImageRecord> records = new TreeMap<>();
        Map<String, float[]> vectors = new HashMap<>();
        try (ImageIndex source = ImageIndex.open(index(model), model)) {
            source.forEach((image, embedding) -> {
                records.put(image.id(), image);
                vectors.put(image.id(), embedding);
            });
        }
        List<ImageRecord> first = records.values().stream().limit(count).toList();
        try (ImageIndexWriter writer = ImageIndexWriter.open(target, model, IndexSettings.DEFAULT)) {
            for (ImageRecord r : first) {
                writer.put(new ImageEntry(r.id(), r.location(), r.label(), r.fields()), vectors.get(r.id()));
            }
            for (var e : extra.entrySet()) {
                writer.put(new ImageEntry(e.getKey(), new ImageLocation.File(e.getValue().toAbsolutePath()), null, Map.of()),
                        vectors.get(first.get(0).id()));
            }
            writer.commit(Map.of());
        }
        return target;
    }

    /** A model, its index, the service and its server, closed together. */
    public record Running(MatMambaModel model, ImageIndex index, SearchService service, SearchServer server) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            server.close();
            service.close();
            index.close();
            model.close();
        }
    }
}
