package dev.mmr.solr;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.IndexIdentity;
import dev.mmr.indexer.IndexInfo;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Quantization;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.source.ImageEntry;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.solr.client.solrj.request.SolrQuery;
import org.apache.solr.client.solrj.util.ClientUtils;
import org.apache.solr.common.SolrInputDocument;

/**
 * Writes a SolrCloud collection of images. Creates the collection (its configset, {@code --shards} x
 * {@code --replicas}) and its metadata document when missing; an existing collection keeps its recorded settings and
 * refuses another model. Images are sent in batches to the shard leaders; {@link #commit} is a hard commit that makes
 * them durable and searchable, then records the count and progress in the metadata document. Unlike the embedded
 * index, Solr cannot roll back: images sent but not committed when the writer stops stay in Solr's transaction log
 * and become visible at the next commit (a rerun writes them again by id, so each image is there once).
 *
 * <p>Resume: the ids committed when the writer opens are read once, page by page (ids only), so that
 * {@link #committed} answers without a request per image.
 */
final class SolrImageWriter extends CollectionHandle implements ImageStoreWriter {
    private static final int DELETE_CHECK_BATCH = 500;

    private final Map<String, String> metadata;
    private final IndexSettings settings;
    private final int dimension;
    private final Set<String> committedIds;

    private SolrImageWriter(SolrCollection collection, Map<String, String> metadata, IndexSettings settings, int dimension, Set<String> committedIds) {
        super(collection);
        this.metadata = metadata;
        this.settings = settings;
        this.dimension = dimension;
        this.committedIds = committedIds;
    }

    static SolrImageWriter open(StoreAddress.SolrCollection address, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        SolrCollection collection = SolrCollection.connect(address);
        try {
            Map<String, String> metadata = new LinkedHashMap<>();
            IndexSettings settings = settingsIfNew;
            int dimension;
            if (collection.exists()) {
                IndexInfo info = collection.info();
                if (model != null) IndexIdentity.checkModel(address.toString(), info, model);
                metadata.putAll(info.commitData());
                settings = info.settings();
                dimension = info.dimension();
            } else if (model == null) {
                throw new IOException("no " + address + " (build one with: mmr index --solr ... --collection " + address.collection() + ")");
            } else {
                if (settings.quantization() != Quantization.NONE)
                    throw new IllegalArgumentException("a SolrCloud collection stores float32 vectors (DenseVectorField); --quantization "
                            + settings.quantization().key() + " applies to the embedded index only");
                dimension = model.embeddingDim();
                collection.create(dimension, settings);
                metadata.putAll(IndexIdentity.of(model, settings));
                metadata.put(IndexSchema.COUNT, "0");
                metadata.put(IndexSchema.COMMITTED_AT, Instant.now().toString());
                collection.writeMetadata(metadata);
                collection.call(() -> collection.client().commit(collection.name, true, true));
            }
            if (model != null) metadata.putAll(IndexIdentity.of(model, settings));
            Set<String> committed = new HashSet<>();
            collection.scan(IndexSchema.ID, doc -> committed.add((String) doc.getFirstValue(IndexSchema.ID)));
            return new SolrImageWriter(collection, metadata, settings, dimension, committed);
        } catch (IOException | RuntimeException e) {
            collection.close();
            throw e;
        }
    }

    @Override
    public IndexSettings settings() {
        return settings;
    }

    @Override
    public boolean committed(String id) {
        return committedIds.contains(id);
    }

    @Override
    public void put(List<ImageEntry> entries, List<float[]> embeddings) throws IOException {
        if (entries.size() != embeddings.size()) throw new IllegalArgumentException(entries.size() + " images but " + embeddings.size() + " embeddings");
        List<SolrInputDocument> docs = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            ImageEntry entry = entries.get(i);
            if (entry.id().equals(SolrSchema.METADATA_ID)) throw new IllegalArgumentException("the id " + SolrSchema.METADATA_ID + " is reserved");
            IndexIdentity.checkEmbedding(entry.id(), embeddings.get(i), dimension);
            docs.add(SolrSchema.document(entry, embeddings.get(i)));
        }
        if (!docs.isEmpty()) collection.call(() -> collection.client().add(collection.name, docs));
    }

    @Override
    public void delete(Collection<String> ids) throws IOException {
        List<String> all = List.copyOf(ids);
        Set<String> present = new HashSet<>();
        for (int from = 0; from < all.size(); from += DELETE_CHECK_BATCH) {
            List<String> some = all.subList(from, Math.min(all.size(), from + DELETE_CHECK_BATCH));
            SolrQuery query = new SolrQuery(IndexSchema.ID + ":(" + String.join(" OR ", some.stream().map(ClientUtils::escapeQueryChars).toList()) + ")")
                    .addFilterQuery(SolrSchema.IMAGES).setFields(IndexSchema.ID).setRows(some.size());
            collection.query(query).getResults().forEach(d -> present.add((String) d.getFirstValue(IndexSchema.ID)));
        }
        List<String> unknown = all.stream().filter(id -> !present.contains(id)).toList();
        if (!unknown.isEmpty()) throw new IllegalArgumentException("no image with id " + String.join(", ", unknown) + " in the " + collection.address);
        if (!all.isEmpty()) collection.call(() -> collection.client().deleteById(collection.name, all));
    }

    /** A hard commit of the images, then the metadata document with the new count and {@code progress}, committed too. */
    @Override
    public void commit(Map<String, String> progress) throws IOException {
        collection.call(() -> collection.client().commit(collection.name, true, true));
        metadata.putAll(progress);
        metadata.put(IndexSchema.COUNT, Long.toString(collection.count()));
        metadata.put(IndexSchema.COMMITTED_AT, Instant.now().toString());
        collection.writeMetadata(metadata);
        collection.call(() -> collection.client().commit(collection.name, true, true));
    }
}
