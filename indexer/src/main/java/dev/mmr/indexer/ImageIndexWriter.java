package dev.mmr.indexer;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.source.ImageEntry;
import java.io.IOException;
import java.io.InterruptedIOException;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.index.ConcurrentMergeScheduler;
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
 *
 * <p>Lucene builds the HNSW graph as documents are added, one graph per indexing thread (a few thousand 256-dimensional
 * vectors a second on one core). A large {@link #put} batch is therefore split by id over {@code writeThreads} threads
 * of a pool this writer owns, each filling a segment of its own, and merges build their graphs with as many workers.
 */
public final class ImageIndexWriter implements ImageStoreWriter {
    /**
     * At most this many write threads by default: each thread's buffer becomes a segment of its own at every commit,
     * so more threads mean smaller segments and more merging, and bulk indexing's decoding threads need cores too.
     */
    static final int MAX_DEFAULT_WRITE_THREADS = 8;

    /** Threads a large {@link #put} batch is written on: the cores, at most {@value #MAX_DEFAULT_WRITE_THREADS}. */
    public static final int DEFAULT_WRITE_THREADS = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, MAX_DEFAULT_WRITE_THREADS);

    /** Each write thread gets at least this many images of a batch (a few milliseconds of graph insertion), else fewer threads. */
    static final int MIN_IMAGES_PER_THREAD = 16;

    /** Names of the write pool's threads. */
    static final String THREAD_NAME = "index-write-";

    private final Path path;
    private final Directory directory;
    private final IndexWriter writer;
    private final ConcurrentMergeScheduler merges;
    private final DirectoryReader lastCommit;
    private final IndexSearcher lastCommitSearcher;
    private final Map<String, String> commitData;
    private final int dimension;
    private final IndexSettings settings;
    private final int writeThreads;
    /** Writes the parts of a large batch; null with one write thread. */
    private final ExecutorService pool;

    private ImageIndexWriter(Path path, Directory directory, IndexWriter writer, ConcurrentMergeScheduler merges, DirectoryReader lastCommit, Map<String, String> commitData,
                             int dimension, IndexSettings settings, int writeThreads) {
        this.path = path;
        this.directory = directory;
        this.writer = writer;
        this.merges = merges;
        this.lastCommit = lastCommit;
        this.lastCommitSearcher = lastCommit == null ? null : new IndexSearcher(lastCommit);
        this.commitData = commitData;
        this.dimension = dimension;
        this.settings = settings;
        this.writeThreads = writeThreads;
        this.pool = writeThreads == 1 ? null
                : Executors.newFixedThreadPool(writeThreads, Thread.ofPlatform().name(THREAD_NAME, 0).daemon().factory());
    }

    /**
     * Opens (or creates) the index at {@code path} for writing embeddings of {@code model} at full width.
     *
     * @param settingsIfNew HNSW settings used when the index does not exist yet
     * @throws IndexMismatchException when the index was built by another model or is not an image index
     */
    public static ImageIndexWriter open(Path path, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        return open(path, model, settingsIfNew, DEFAULT_WRITE_THREADS);
    }

    /**
     * {@link #open(Path, MatMambaModel, IndexSettings)} with {@code writeThreads} threads writing a large {@link #put}
     * batch and as many merge threads and HNSW merge workers; 1 writes every batch on the caller's thread.
     */
    public static ImageIndexWriter open(Path path, MatMambaModel model, IndexSettings settingsIfNew, int writeThreads) throws IOException {
        return openWith(path, java.util.Objects.requireNonNull(model, "model"), settingsIfNew, writeThreads);
    }

    /** Opens an existing index for deletes (no model needed; {@link #put} is refused by the dimension check only). */
    public static ImageIndexWriter openExisting(Path path) throws IOException {
        if (!Files.isDirectory(path)) throw new IOException("no index at " + path + " (build one with: mmr index)");
        return openWith(path, null, null, DEFAULT_WRITE_THREADS);
    }

    private static ImageIndexWriter openWith(Path path, MatMambaModel model, IndexSettings settingsIfNew, int writeThreads) throws IOException {
        if (writeThreads < 1) throw new IllegalArgumentException("write threads must be at least 1, got " + writeThreads);
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
            // The HNSW merge workers run on the scheduler's intra-merge executor, which lends a merge of 50 MB or more
            // (maxThreadCount - running merges - 1) threads besides its own: so a lone merge, a forced one say, builds
            // its graph on writeThreads threads. (Lucene's default, half the cores, leaves a 2-core machine none.)
            ConcurrentMergeScheduler merges = new ConcurrentMergeScheduler();
            merges.setMaxMergesAndThreads(writeThreads + 6, writeThreads + 1);
            IndexWriterConfig config = new IndexWriterConfig()
                    .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setCommitOnClose(false)
                    .setRAMBufferSizeMB(128)
                    // one file per format (.vec raw vectors, .vex graph, .veq quantized...): their sizes are the index's cost per vector
                    .setUseCompoundFile(false)
                    .setMergeScheduler(merges)
                    .setCodec(new Lucene104Codec() {
                        private final KnnVectorsFormat vectors = chosen.quantization().format(chosen.maxConnections(), chosen.beamWidth(), writeThreads);

                        @Override
                        public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                            return vectors;
                        }
                    });
            IndexWriter writer = new IndexWriter(directory, config);
            return new ImageIndexWriter(path, directory, writer, merges, lastCommit, data, dimension, settings, writeThreads);
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

    /**
     * {@inheritDoc} A batch of at least {@link #MIN_IMAGES_PER_THREAD} images per thread is split by id hash over the
     * write threads, so an id's images stay on one thread in batch order (the last one wins, as written one by one);
     * returns when all of them are written, throwing the first part's failure.
     */
    @Override
    public void put(List<ImageEntry> entries, List<float[]> embeddings) throws IOException {
        if (entries.size() != embeddings.size()) throw new IllegalArgumentException(entries.size() + " images but " + embeddings.size() + " embeddings");
        for (int i = 0; i < entries.size(); i++) IndexIdentity.checkEmbedding(entries.get(i).id(), embeddings.get(i), dimension);
        int parts = Math.min(writeThreads, entries.size() / MIN_IMAGES_PER_THREAD);
        if (parts <= 1) {
            for (int i = 0; i < entries.size(); i++) write(entries.get(i), embeddings.get(i));
            return;
        }
        List<List<Integer>> partition = new ArrayList<>();
        for (int p = 0; p < parts; p++) partition.add(new ArrayList<>());
        for (int i = 0; i < entries.size(); i++) partition.get(Math.floorMod(entries.get(i).id().hashCode(), parts)).add(i);
        List<Callable<Void>> tasks = partition.stream().<Callable<Void>>map(part -> () -> {
            for (int i : part) write(entries.get(i), embeddings.get(i));
            return null;
        }).toList();
        try {
            for (Future<Void> done : pool.invokeAll(tasks)) done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing " + entries.size() + " images");
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case IOException io -> throw io;
                case RuntimeException runtime -> throw runtime;
                case Error error -> throw error;
                default -> throw new IOException(e.getCause());
            }
        }
    }

    private void write(ImageEntry entry, float[] embedding) throws IOException {
        writer.updateDocument(IndexSchema.idTerm(entry.id()), IndexSchema.document(entry, embedding));
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

    /**
     * {@inheritDoc} A commit hands the new segments to the merge policy, whose merges run in the background and would
     * be abandoned by {@link #close}; this waits for them (and for the merges they lead to) and commits once more.
     */
    @Override
    public void commitSettled(Map<String, String> progress) throws IOException {
        commit(progress);
        merges.sync();
        if (writer.hasUncommittedChanges()) commit(Map.of());
    }

    /**
     * Merges the index down to at most {@code maxSegments} segments, on the merge threads (fewer segments, faster
     * searches); waits for the merge. Durable at the next {@link #commit}.
     */
    public void forceMerge(int maxSegments) throws IOException {
        writer.forceMerge(maxSegments);
    }

    @Override
    public String describe() {
        return "index at " + path;
    }

    /** Closes without committing: changes since the last {@link #commit} are discarded. Stops the write threads. */
    @Override
    public void close() throws IOException {
        try (directory; lastCommit; pool) {
            writer.rollback();
        }
    }
}
