package dev.mmr.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Preprocessing;
import dev.mmr.indexer.source.ImageEntry;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Writes an image index: documents replaced by id, deletes, and commits that record what produced the index.
 * Creates the index on first use with the given {@link IndexSettings}; an existing index keeps its recorded settings and
 * refuses a model with another fingerprint or dimension. Holds Lucene's write lock until closed (one writer per index;
 * readers such as {@link ImageIndex} may be open meanwhile). Changes become durable and visible only at {@link #commit};
 * closing without a commit discards them. {@link #put} may be called from several threads.
 */
public final class ImageIndexWriter implements Closeable {
    private static final double UNIT_NORM_TOLERANCE = 1e-3;

    private final Directory directory;
    private final IndexWriter writer;
    private final DirectoryReader lastCommit;
    private final IndexSearcher lastCommitSearcher;
    private final Map<String, String> commitData;
    private final int dimension;
    private final IndexSettings settings;

    private ImageIndexWriter(Directory directory, IndexWriter writer, DirectoryReader lastCommit, Map<String, String> commitData,
                             int dimension, IndexSettings settings) {
        this.directory = directory;
        this.writer = writer;
        this.lastCommit = lastCommit;
        this.lastCommitSearcher = lastCommit == null ? null : new IndexSearcher(lastCommit);
        this.commitData = commitData;
        this.dimension = dimension;
        this.settings = settings;
    }

    /**
     * Opens (or creates) the index at {@code path} for writing embeddings of {@code model} at full width.
     *
     * @param settingsIfNew HNSW settings used when the index does not exist yet
     * @throws IndexMismatchException when the index was built by another model or is not an image index
     */
    public static ImageIndexWriter open(Path path, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        return openWith(path, java.util.Objects.requireNonNull(model, "model"), settingsIfNew);
    }

    /** Opens an existing index for deletes (no model needed; {@link #put} is refused by the dimension check only). */
    public static ImageIndexWriter openExisting(Path path) throws IOException {
        if (!Files.isDirectory(path)) throw new IOException("no index at " + path + " (build one with: mmr index)");
        return openWith(path, null, null);
    }

    private static ImageIndexWriter openWith(Path path, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        Files.createDirectories(path);
        Directory directory = FSDirectory.open(path);
        DirectoryReader lastCommit = null;
        try {
            Map<String, String> data = new LinkedHashMap<>();
            IndexSettings settings = settingsIfNew;
            int dimension = model == null ? 0 : model.embeddingDim();
            if (DirectoryReader.indexExists(directory)) {
                lastCommit = DirectoryReader.open(directory);
                IndexInfo info = new IndexInfo(lastCommit.getIndexCommit().getUserData(), lastCommit.numDocs());
                if (!IndexSchema.FORMAT_VERSION.equals(info.commitData().get(IndexSchema.FORMAT)))
                    throw new IndexMismatchException(path + " is not an image index of format " + IndexSchema.FORMAT_VERSION);
                if (model != null) ImageIndex.checkModel(path, info, model);
                data.putAll(info.commitData());
                settings = info.settings();
                dimension = info.dimension();
            } else if (model == null) {
                throw new IOException("no index at " + path + " (build one with: mmr index)");
            }
            if (model != null) data.putAll(identity(model, settings));
            IndexSettings chosen = settings;
            IndexWriterConfig config = new IndexWriterConfig()
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setCommitOnClose(false)
                    .setRAMBufferSizeMB(128)
                    .setCodec(new Lucene104Codec() {
                        private final KnnVectorsFormat vectors = chosen.quantization().format(chosen.maxConnections(), chosen.beamWidth());

                        @Override
                        public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                            return vectors;
                        }
                    });
            IndexWriter writer = new IndexWriter(directory, config);
            return new ImageIndexWriter(directory, writer, lastCommit, data, dimension, settings);
        } catch (IOException | RuntimeException e) {
            try (directory; DirectoryReader toClose = lastCommit) {
                throw e;
            }
        }
    }

    private static Map<String, String> identity(MatMambaModel model, IndexSettings settings) {
        Preprocessing p = model.preprocessing();
        Map<String, Object> preprocessing = new LinkedHashMap<>();
        preprocessing.put("crop_ratio", p.cropRatio());
        preprocessing.put("mean", p.mean());
        preprocessing.put("std", p.std());
        Map<String, String> data = new LinkedHashMap<>();
        data.put(IndexSchema.FORMAT, IndexSchema.FORMAT_VERSION);
        data.put(IndexSchema.MODEL_FINGERPRINT, model.fingerprint());
        data.put(IndexSchema.MODEL_WIDTHS, model.full().name());
        data.put(IndexSchema.MODEL_IMAGE_SIZE, Integer.toString(model.config().imageSize()));
        try {
            data.put(IndexSchema.PREPROCESSING, new ObjectMapper().writeValueAsString(preprocessing));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        data.put(IndexSchema.DIMENSION, Integer.toString(model.embeddingDim()));
        data.put(IndexSchema.SIMILARITY_KEY, IndexSchema.SIMILARITY.name().toLowerCase(java.util.Locale.ROOT));
        data.put(IndexSchema.QUANTIZATION, settings.quantization().key());
        data.put(IndexSchema.MAX_CONNECTIONS, Integer.toString(settings.maxConnections()));
        data.put(IndexSchema.BEAM_WIDTH, Integer.toString(settings.beamWidth()));
        return data;
    }

    /** The settings in force: those recorded in an existing index, or those it was created with. */
    public IndexSettings settings() {
        return settings;
    }

    /** The commit data of the last commit (or what the first commit will record). */
    public Map<String, String> commitData() {
        return Map.copyOf(commitData);
    }

    /** Whether an image with this id was in the index when this writer opened (a live document of the last commit). */
    public boolean committed(String id) {
        if (lastCommitSearcher == null) return false;
        try {
            return lastCommitSearcher.count(new TermQuery(IndexSchema.idTerm(id))) > 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds the image, replacing any image with the same id. The embedding must be L2-normalised and full-width. */
    public void put(ImageEntry entry, float[] embedding) throws IOException {
        if (embedding.length != dimension)
            throw new IllegalArgumentException("embedding has " + embedding.length + " dimensions, the index " + dimension);
        double norm = 0;
        for (float v : embedding) norm += (double) v * v;
        if (!(Math.abs(Math.sqrt(norm) - 1) < UNIT_NORM_TOLERANCE))
            throw new IllegalArgumentException("embedding of " + entry.id() + " is not L2-normalised (norm " + Math.sqrt(norm) + ")");
        writer.updateDocument(IndexSchema.idTerm(entry.id()), IndexSchema.document(entry, embedding));
    }

    /**
     * Deletes images by id, all or none: when any id is not in the index, nothing is deleted.
     *
     * @throws IllegalArgumentException naming the unknown ids
     */
    public void delete(Collection<String> ids) throws IOException {
        List<String> unknown = new ArrayList<>();
        try (DirectoryReader current = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(current);
            for (String id : ids) if (searcher.count(new TermQuery(IndexSchema.idTerm(id))) == 0) unknown.add(id);
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("no image with id " + String.join(", ", unknown) + " in the index");
        writer.deleteDocuments(ids.stream().map(IndexSchema::idTerm).toArray(Term[]::new));
    }

    /**
     * Makes every change so far durable, recording the model identity, settings, document count and {@code progress}
     * (keys and values merged over the previous commit's) in the commit data.
     */
    public void commit(Map<String, String> progress) throws IOException {
        commitData.putAll(progress);
        try (DirectoryReader current = DirectoryReader.open(writer)) {
            commitData.put(IndexSchema.COUNT, Integer.toString(current.numDocs()));
        }
        commitData.put(IndexSchema.COMMITTED_AT, Instant.now().toString());
        writer.setLiveCommitData(new HashMap<>(commitData).entrySet());
        writer.commit();
    }

    /** Closes without committing: changes since the last {@link #commit} are discarded. */
    @Override
    public void close() throws IOException {
        try (directory; lastCommit) {
            writer.rollback();
        }
    }
}
