package dev.mmr.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A Lucene HNSW index of database embeddings on disk (Lucene's default HNSW format, dot product on
 * L2-normalised vectors, as the product's indexes use), built only to measure how much of the
 * exact top-k the approximate search finds.
 */
public final class HnswIndex implements AutoCloseable {
    private static final String VECTOR = "embedding";
    private static final String ROW = "row";

    private final Directory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    private HnswIndex(Directory directory) throws IOException {
        this.directory = directory;
        this.reader = DirectoryReader.open(directory);
        this.searcher = new IndexSearcher(reader);
    }

    /** Writes one document per database row into {@code dir} (which must be empty or absent) and opens it. */
    public static HnswIndex build(float[] database, int dim, Path dir, Progress progress) throws IOException {
        Directory directory = FSDirectory.open(dir);
        IndexWriterConfig config = new IndexWriterConfig().setRAMBufferSizeMB(512).setOpenMode(IndexWriterConfig.OpenMode.CREATE);
        int rows = database.length / dim;
        try (IndexWriter writer = new IndexWriter(directory, config)) {
            for (int row = 0; row < rows; row++) {
                Document doc = new Document();
                doc.add(new KnnFloatVectorField(VECTOR, Arrays.copyOfRange(database, row * dim, (row + 1) * dim),
                        VectorSimilarityFunction.DOT_PRODUCT));
                doc.add(new StoredField(ROW, row));
                writer.addDocument(doc);
                progress.advance(1);
            }
            writer.commit();
        }
        progress.done();
        return new HnswIndex(directory);
    }

    /**
     * The approximate top-k of each query row, best first, exploring {@code candidates} (at least k)
     * entries of the graph per query.
     */
    public Neighbours search(float[] queries, int dim, int k, int candidates) {
        int m = queries.length / dim;
        int kept = Math.min(k, reader.numDocs());
        int[] index = new int[m * kept];
        float[] score = new float[m * kept];
        try {
            StoredFields stored = searcher.storedFields();
            for (int q = 0; q < m; q++) {
                float[] target = Arrays.copyOfRange(queries, q * dim, (q + 1) * dim);
                TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, target, Math.max(k, candidates)), kept);
                ScoreDoc[] hits = top.scoreDocs;
                for (int r = 0; r < kept; r++) {
                    boolean present = r < hits.length;
                    index[q * kept + r] = present ? stored.document(hits[r].doc).getField(ROW).numericValue().intValue() : -1;
                    score[q * kept + r] = present ? hits[r].score : Float.NEGATIVE_INFINITY;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Neighbours(m, kept, index, score);
    }

    @Override
    public void close() throws IOException {
        reader.close();
        directory.close();
    }
}
