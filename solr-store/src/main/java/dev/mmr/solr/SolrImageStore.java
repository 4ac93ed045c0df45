package dev.mmr.solr;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.Hit;
import dev.mmr.indexer.ImageFilter;
import dev.mmr.indexer.ImageRecord;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.IndexIdentity;
import dev.mmr.indexer.IndexInfo;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.StoreAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.lucene.util.VectorUtil;
import org.apache.solr.client.solrj.request.SolrQuery;
import org.apache.solr.common.SolrDocument;

/**
 * A SolrCloud collection as an {@link ImageStore}. Searches are Solr's: {@code {!knn f=embedding topK=C}} for HNSW
 * (each shard takes its C = max(k, efSearch) nearest, Solr merges the shards' answers by score and returns the best k)
 * and a {@code vectorSimilarity} function query for exact search; filters go as filter queries ({@code fq}), which
 * the knn parser applies before the graph search. Similarities are recomputed here from the stored float32
 * vectors the hits carry, so they are the same dot products the embedded index reports.
 */
final class SolrImageStore extends CollectionHandle implements ImageStore {
    private static final Comparator<Hit> BEST_FIRST =
            Comparator.comparingDouble((Hit h) -> -h.similarity()).thenComparing(h -> h.image().id());

    private final int dimension;

    private SolrImageStore(SolrCollection collection, int dimension) {
        super(collection);
        this.dimension = dimension;
    }

    static SolrImageStore open(StoreAddress.SolrCollection address, MatMambaModel model) throws IOException {
        SolrCollection collection = SolrCollection.connect(address);
        try {
            if (!collection.exists()) throw new IOException("no " + address + " (build one with: mmr index --solr ... --collection " + address.collection() + ")");
            IndexInfo info = collection.info();
            if (model != null) IndexIdentity.checkModel(address.toString(), info, model);
            return new SolrImageStore(collection, info.dimension());
        } catch (IOException | RuntimeException e) {
            collection.close();
            throw e;
        }
    }

    @Override
    public IndexInfo info() throws IOException {
        return collection.info();
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public long size() throws IOException {
        return collection.count();
    }

    /** Solr opens a new searcher at each commit by itself: nothing to pick up. */
    @Override
    public boolean refresh() {
        return false;
    }

    @Override
    public List<Hit> search(float[] query, int k, ImageFilter filter, int efSearch) throws IOException {
        checkQuery(query, k);
        int candidates = Math.max(k, efSearch);
        return hits(query, new SolrQuery("{!knn f=" + IndexSchema.EMBEDDING + " topK=" + candidates + "}" + SolrSchema.vectorLiteral(query)), k, filter);
    }

    @Override
    public List<Hit> exactSearch(float[] query, int k, ImageFilter filter) throws IOException {
        checkQuery(query, k);
        String similarity = "vectorSimilarity(FLOAT32,DOT_PRODUCT," + IndexSchema.EMBEDDING + "," + SolrSchema.vectorLiteral(query) + ")";
        return hits(query, new SolrQuery("{!func}" + similarity).setSort("score", SolrQuery.ORDER.desc), k, filter);
    }

    private List<Hit> hits(float[] query, SolrQuery solrQuery, int k, ImageFilter filter) throws IOException {
        solrQuery.setFields("*").setRows(k);
        SolrSchema.filterQueries(filter).forEach(solrQuery::addFilterQuery);
        List<Hit> hits = new ArrayList<>(k);
        for (SolrDocument doc : collection.query(solrQuery).getResults())
            hits.add(new Hit(SolrSchema.record(doc), VectorUtil.dotProduct(query, SolrSchema.embedding(doc))));
        hits.sort(BEST_FIRST);
        return hits;
    }

    @Override
    public Optional<ImageRecord> get(String id) throws IOException {
        return document(id).map(SolrSchema::record);
    }

    @Override
    public Optional<float[]> vector(String id) throws IOException {
        return document(id).map(SolrSchema::embedding);
    }

    private Optional<SolrDocument> document(String id) throws IOException {
        SolrQuery query = new SolrQuery("{!term f=" + IndexSchema.ID + "}" + id).addFilterQuery(SolrSchema.IMAGES).setFields("*").setRows(1);
        var docs = collection.query(query).getResults();
        return docs.isEmpty() ? Optional.empty() : Optional.of(docs.get(0));
    }

    /** Every image in id order, read page by page with a cursor. */
    @Override
    public void forEach(ImageConsumer consumer) throws IOException {
        IOException[] failed = {null};
        collection.scan("*", doc -> {
            if (failed[0] != null) return;
            try {
                consumer.accept(SolrSchema.record(doc), SolrSchema.embedding(doc));
            } catch (IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) throw failed[0];
    }

    private void checkQuery(float[] query, int k) {
        if (query.length != dimension)
            throw new IllegalArgumentException("query has " + query.length + " dimensions, the " + collection.address + " " + dimension);
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
}
