package dev.mmr.indexer;

import dev.mmr.encoder.MatMambaModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.FixedBitSet;

/**
 * The embedded Lucene index's {@link ImageStore}: reads and searches an image index on disk. Thread-safe: one instance serves many threads. Sees the index as of
 * its last commit when opened, or when {@link #refresh} last picked up a newer commit (e.g. after {@code mmr add}).
 *
 * <p>Similarities are dot products of the query with the stored float32 embeddings, i.e. cosines, since both are
 * unit vectors: {@link #search} takes {@code max(k, efSearch)} candidates from the HNSW graph (quantized or not) and
 * rescores them exactly; {@link #exactSearch} scans every (filtered) document.
 */
public final class ImageIndex implements ImageStore {
    private final Path path;
    private final Directory directory;
    private final SearcherManager searchers;
    private final int dimension;

    private ImageIndex(Path path, Directory directory, SearcherManager searchers, int dimension) {
        this.path = path;
        this.directory = directory;
        this.searchers = searchers;
        this.dimension = dimension;
    }

    /**
     * Opens the index at {@code path} for queries encoded by {@code model} (at any of its widths).
     *
     * @throws IndexMismatchException when the index was built by a model with another fingerprint or dimension
     */
    public static ImageIndex open(Path path, MatMambaModel model) throws IOException {
        ImageIndex index = open(path);
        try {
            IndexIdentity.checkModel("index at " + path, index.info(), model);
            return index;
        } catch (IOException e) {
            index.close();
            throw e;
        }
    }

    /** Opens the index without checking which model built it (for info and export). */
    public static ImageIndex open(Path path) throws IOException {
        Directory directory = FSDirectory.open(path);
        try {
            if (!DirectoryReader.indexExists(directory)) throw new IOException("no index at " + path + " (build one with: mmr index)");
            SearcherManager searchers = new SearcherManager(directory, null);
            IndexInfo info = info(searchers);
            try {
                IndexIdentity.checkFormat(path.toString(), info);
            } catch (IndexMismatchException e) {
                searchers.close();
                throw e;
            }
            return new ImageIndex(path, directory, searchers, info.dimension());
        } catch (IOException | RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    /** The commit data and document count of the commit this index currently sees. */
    @Override
    public IndexInfo info() throws IOException {
        return info(searchers);
    }

    private static IndexInfo info(SearcherManager searchers) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            DirectoryReader reader = (DirectoryReader) searcher.getIndexReader();
            return new IndexInfo(reader.getIndexCommit().getUserData(), reader.numDocs());
        } finally {
            searchers.release(searcher);
        }
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public long size() throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            return searcher.getIndexReader().numDocs();
        } finally {
            searchers.release(searcher);
        }
    }

    /** Picks up a newer commit if there is one; returns whether it did. */
    @Override
    public boolean refresh() throws IOException {
        IndexSearcher before = searchers.acquire();
        try {
            searchers.maybeRefreshBlocking();
            IndexSearcher after = searchers.acquire();
            try {
                return after != before;
            } finally {
                searchers.release(after);
            }
        } finally {
            searchers.release(before);
        }
    }

    /** {@inheritDoc} Takes {@code max(k, efSearch)} candidates from the graph and rescores them exactly. */
    @Override
    public List<Hit> search(float[] query, int k, ImageFilter imageFilter, int efSearch) throws IOException {
        checkQuery(query, k);
        Query filter = IndexSchema.filterQuery(imageFilter);
        IndexSearcher searcher = searchers.acquire();
        try {
            int candidates = Math.max(k, efSearch);
            TopDocs top = searcher.search(new KnnFloatVectorQuery(IndexSchema.EMBEDDING, query, candidates, filter), candidates);
            List<ScoredDoc> rescored = new ArrayList<>(top.scoreDocs.length);
            List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
            for (ScoreDoc sd : top.scoreDocs) {
                LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(sd.doc, leaves));
                float[] vector = vectorOf(leaf, sd.doc - leaf.docBase);
                rescored.add(new ScoredDoc(sd.doc, dot(query, vector)));
            }
            rescored.sort(ScoredDoc.BEST_FIRST);
            return hits(searcher, rescored.subList(0, Math.min(k, rescored.size())));
        } finally {
            searchers.release(searcher);
        }
    }

    /** Exact nearest neighbours by scanning the stored float32 vectors of every image the filter lets through. */
    @Override
    public List<Hit> exactSearch(float[] query, int k, ImageFilter imageFilter) throws IOException {
        checkQuery(query, k);
        Query filter = IndexSchema.filterQuery(imageFilter);
        IndexSearcher searcher = searchers.acquire();
        try {
            Weight weight = filter == null ? null : searcher.createWeight(searcher.rewrite(filter), ScoreMode.COMPLETE_NO_SCORES, 1);
            PriorityQueue<ScoredDoc> top = new PriorityQueue<>(k + 1, ScoredDoc.BEST_FIRST.reversed());
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexSchema.EMBEDDING);
                if (values == null) continue;
                Bits live = leaf.reader().getLiveDocs();
                FixedBitSet allowed = null;
                if (weight != null) {
                    allowed = new FixedBitSet(leaf.reader().maxDoc());
                    Scorer scorer = weight.scorer(leaf);
                    if (scorer != null) allowed.or(scorer.iterator());
                }
                KnnVectorValues.DocIndexIterator it = values.iterator();
                for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
                    if ((live != null && !live.get(doc)) || (allowed != null && !allowed.get(doc))) continue;
                    top.add(new ScoredDoc(leaf.docBase + doc, dot(query, values.vectorValue(it.index()))));
                    if (top.size() > k) top.poll();
                }
            }
            List<ScoredDoc> best = new ArrayList<>(top);
            best.sort(ScoredDoc.BEST_FIRST);
            return hits(searcher, best);
        } finally {
            searchers.release(searcher);
        }
    }

    @Override
    public Optional<ImageRecord> get(String id) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            int doc = docOf(searcher, id);
            return doc < 0 ? Optional.empty() : Optional.of(IndexSchema.record(searcher.storedFields().document(doc)));
        } finally {
            searchers.release(searcher);
        }
    }

    /** The stored embedding of an image exactly as indexed (float32, L2-normalised), if the id is in the index. */
    @Override
    public Optional<float[]> vector(String id) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            int doc = docOf(searcher, id);
            if (doc < 0) return Optional.empty();
            List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
            LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
            return Optional.of(vectorOf(leaf, doc - leaf.docBase));
        } finally {
            searchers.release(searcher);
        }
    }

    /** Visits every image with its embedding, in index order (e.g. to export or evaluate the whole corpus). */
    @Override
    public void forEach(ImageConsumer consumer) throws IOException {
        IndexSearcher searcher = searchers.acquire();
        try {
            var stored = searcher.storedFields();
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexSchema.EMBEDDING);
                if (values == null) continue;
                Bits live = leaf.reader().getLiveDocs();
                KnnVectorValues.DocIndexIterator it = values.iterator();
                for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
                    if (live != null && !live.get(doc)) continue;
                    consumer.accept(IndexSchema.record(stored.document(leaf.docBase + doc)), values.vectorValue(it.index()).clone());
                }
            }
        } finally {
            searchers.release(searcher);
        }
    }

    private void checkQuery(float[] query, int k) {
        if (query.length != dimension)
            throw new IllegalArgumentException("query has " + query.length + " dimensions, the index at " + path + " " + dimension);
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
    }

    private static int docOf(IndexSearcher searcher, String id) throws IOException {
        TopDocs top = searcher.search(new TermQuery(IndexSchema.idTerm(id)), 1);
        return top.scoreDocs.length == 0 ? -1 : top.scoreDocs[0].doc;
    }

    private static float[] vectorOf(LeafReaderContext leaf, int doc) throws IOException {
        FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexSchema.EMBEDDING);
        KnnVectorValues.DocIndexIterator it = values.iterator();
        if (it.advance(doc) != doc) throw new IllegalStateException("document " + doc + " has no embedding");
        return values.vectorValue(it.index()).clone();
    }

    private static List<Hit> hits(IndexSearcher searcher, List<ScoredDoc> docs) throws IOException {
        var stored = searcher.storedFields();
        List<Hit> hits = new ArrayList<>(docs.size());
        for (ScoredDoc d : docs) hits.add(new Hit(IndexSchema.record(stored.document(d.doc)), d.similarity));
        return hits;
    }

    private static float dot(float[] a, float[] b) {
        return org.apache.lucene.util.VectorUtil.dotProduct(a, b);
    }

    private record ScoredDoc(int doc, float similarity) {
        static final Comparator<ScoredDoc> BEST_FIRST =
                Comparator.comparingDouble((ScoredDoc d) -> -d.similarity).thenComparingInt(ScoredDoc::doc);
    }

    @Override
    public String describe() {
        return "index at " + path;
    }

    @Override
    public void close() throws IOException {
        try (directory) {
            searchers.close();
        }
    }
}
