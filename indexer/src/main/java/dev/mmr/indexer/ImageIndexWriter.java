package dev.mmr.indexer;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.source.ImageEntry;
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
 * The embedded Lucene index's {@link ImageStoreWriter}. Writes an image index: documents replaced by id, deletes, and commits that record what produced the index.
 * Creates the index on first use with the given {@link IndexSettings}; an existing index keeps its recorded settings and
 * refuses a model with another fingerprint or dimension. Holds Lucene's write lock until closed (one writer per index;
 * readers such as {@link ImageIndex} may be open meanwhile). Changes become durable and visible only at {@link #commit};
 * closing without a commit discards them. {@link #put} may be called from several threads.
 */
public final class ImageIndexWriter implements ImageStoreWriter {
    private final Path path;
    private final Directory directory;
    private final IndexWriter writer;
    private final DirectoryReader lastCommit;
    private final IndexSearcher lastCommitSearcher;
    private final Map<String, String> commitData;
    private final int dimension;
    private final IndexSettings settings;

    private ImageIndexWriter(Path path, Directory directory, IndexWriter writer, DirectoryReader lastCommit, Map<String, String> commitData,
                             int dimension, IndexSettings settings) {
        this.path = path;
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
                IndexIdentity.checkFormat(path.toString(), info);
                if (model != null) IndexIdentity.checkModel("index at " + path, info, model);
                data.putAll(info.commitData());
                settings = info.settings();
                dimension = info.dimension();
            } else if (model == null) {
                throw new IOException("no index at " + path + " (build one with: mmr index)");
            }
            if (model != null) data.putAll(IndexIdentity.of(model, settings));
            IndexSettings chosen = settings;
            IndexWriterConfig config = new IndexWriterConfig()
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setCommitOnClose(false)
                    .setRAMBufferSizeMB(128)
                    // one file per format (.vec raw vectors, .vex graph, .veq quantized...): their sizes are the index's cost per vector
                    .setUseCompoundFile(false)
                    .setCodec(new Lucene104Codec() {
                        private final KnnVectorsFormat vectors = chosen.quantization().format(chosen.maxConnections(), chosen.beamWidth());

                        @Override
                        public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                            return vectors;
                        }
                    });
            IndexWriter writer = new IndexWriter(directory, config);
            return new ImageIndexWriter(path, directory, writer, lastCommit, data, dimension, settings);
        } catch (IOException | RuntimeException e) {
            try (directory; DirectoryReader toClose = lastCommit) {
                throw e;
            }
        }
    }

    @Override
    public IndexSettings settings() {
        return settings;
    }

    /** The commit data of the last commit (or what the first commit will record). */
    public Map<String, String> commitData() {
        return Map.copyOf(commitData);
    }

    /** Whether an image with this id was in the index when this writer opened (a live document of the last commit). */
    @Override
    public boolean committed(String id) {
        if (lastCommitSearcher == null) return false;
        try {
            return lastCommitSearcher.count(new TermQuery(IndexSchema.idTerm(id))) > 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void put(List<ImageEntry> entries, List<float[]> embeddings) throws IOException {
        if (entries.size() != embeddings.size()) throw new IllegalArgumentException(entries.size() + " images but " + embeddings.size() + " embeddings");
        for (int i = 0; i < entries.size(); i++) IndexIdentity.checkEmbedding(entries.get(i).id(), embeddings.get(i), dimension);
        for (int i = 0; i < entries.size(); i++)
            writer.updateDocument(IndexSchema.idTerm(entries.get(i).id()), IndexSchema.document(entries.get(i), embeddings.get(i)));
    }

    @Override
    public void delete(Collection<String> ids) throws IOException {
        List<String> unknown = new ArrayList<>();
        try (DirectoryReader current = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(current);
            for (String id : ids) if (searcher.count(new TermQuery(IndexSchema.idTerm(id))) == 0) unknown.add(id);
        }
        if (!unknown.isEmpty()) throw new IllegalArgumentException("no image with id " + String.join(", ", unknown) + " in the index");
        writer.deleteDocuments(ids.stream().map(IndexSchema::idTerm).toArray(Term[]::new));
    }

    /** Makes every change so far durable (fsync'd), recording identity, count and progress in the commit data. */
    @Override
    public void commit(Map<String, String> progress) throws IOException {
        commitData.putAll(progress);
        try (DirectoryReader current = DirectoryReader.open(writer)) {
            commitData.put(IndexSchema.COUNT, Integer.toString(current.numDocs()));
        }
        commitData.put(IndexSchema.COMMITTED_AT, Instant.now().toString());
        writer.setLiveCommitData(new HashMap<>(commitData).entrySet());
        writer.commit();
    }

    @Override
    public String describe() {
        return "index at " + path;
    }

    /** Closes without committing: changes since the last {@link #commit} are discarded. */
    @Override
    public void close() throws IOException {
        try (directory; lastCommit) {
            writer.rollback();
        }
    }
}
