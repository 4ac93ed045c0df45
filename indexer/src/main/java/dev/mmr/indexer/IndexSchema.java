package dev.mmr.indexer;

import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.util.Map;
import java.util.TreeMap;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KeywordField;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.index.IndexableField;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

/**
 * The document layout and the commit-data keys. One document per image:
 * <ul>
 *   <li>{@value #ID}: keyword (indexed, doc values, stored); documents are replaced by id</li>
 *   <li>{@value #PATH}: stored</li>
 *   <li>{@value #LABEL}: keyword, when the image has a label</li>
 *   <li>each manifest field under its own name: keyword (stored and filterable with a {@code TermQuery})</li>
 *   <li>{@value #EMBEDDING}: the full-width, L2-normalised embedding, HNSW-indexed for dot-product similarity</li>
 * </ul>
 */
public final class IndexSchema {
    public static final String ID = ImageEntry.ID;
    public static final String PATH = ImageEntry.PATH;
    public static final String LABEL = ImageEntry.LABEL;
    public static final String EMBEDDING = ImageEntry.EMBEDDING;
    public static final VectorSimilarityFunction SIMILARITY = VectorSimilarityFunction.DOT_PRODUCT;

    /** Commit-data keys. */
    public static final String FORMAT = "format";
    public static final String FORMAT_VERSION = "mmr-index/1";
    public static final String MODEL_FINGERPRINT = "model.fingerprint";
    public static final String MODEL_WIDTHS = "model.widths";
    public static final String MODEL_IMAGE_SIZE = "model.image_size";
    public static final String PREPROCESSING = "preprocessing";
    public static final String DIMENSION = "embedding.dimension";
    public static final String SIMILARITY_KEY = "embedding.similarity";
    public static final String QUANTIZATION = "hnsw.quantization";
    public static final String MAX_CONNECTIONS = "hnsw.max_connections";
    public static final String BEAM_WIDTH = "hnsw.beam_width";
    public static final String COUNT = "count";
    public static final String SOURCE = "source";
    public static final String STATE = "state";
    public static final String REJECTED = "rejected";
    public static final String COMMITTED_AT = "committed_at";

    /** {@value #STATE} values: a bulk run still in progress (or interrupted) and a finished one. */
    public static final String STATE_PARTIAL = "partial";
    public static final String STATE_COMPLETE = "complete";

    private IndexSchema() {
    }

    static Term idTerm(String id) {
        return new Term(ID, id);
    }

    static Document document(ImageEntry entry, float[] embedding) {
        Document doc = new Document();
        doc.add(new KeywordField(ID, entry.id(), Field.Store.YES));
        doc.add(new StoredField(PATH, entry.location().stored()));
        if (entry.label() != null) doc.add(new KeywordField(LABEL, entry.label(), Field.Store.YES));
        entry.fields().forEach((name, value) -> doc.add(new KeywordField(name, value, Field.Store.YES)));
        doc.add(new KnnFloatVectorField(EMBEDDING, embedding, SIMILARITY));
        return doc;
    }

    /** The Lucene filter of an {@link ImageFilter}: any of its labels and all of its fields; null lets everything through. */
    static Query filterQuery(ImageFilter filter) {
        if (filter == null || filter.isAll()) return null;
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        if (!filter.labels().isEmpty()) {
            BooleanQuery.Builder anyLabel = new BooleanQuery.Builder();
            filter.labels().forEach(l -> anyLabel.add(new TermQuery(new Term(LABEL, l)), BooleanClause.Occur.SHOULD));
            all.add(anyLabel.build(), BooleanClause.Occur.FILTER);
        }
        filter.fields().forEach((name, value) -> all.add(new TermQuery(new Term(name, value)), BooleanClause.Occur.FILTER));
        return all.build();
    }

    static ImageRecord record(Document doc) {
        Map<String, String> fields = new TreeMap<>();
        for (IndexableField f : doc.getFields()) {
            String name = f.name();
            if (!ImageEntry.RESERVED_FIELDS.contains(name) && f.stringValue() != null) fields.put(name, f.stringValue());
        }
        return new ImageRecord(doc.get(ID), ImageLocation.parse(doc.get(PATH)), doc.get(LABEL), fields);
    }
}
