package dev.mmr.solr;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.indexer.IndexIdentity;
import dev.mmr.indexer.IndexInfo;
import dev.mmr.indexer.IndexMismatchException;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.StoreAddress;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.solr.client.solrj.request.SolrQuery;
import org.apache.solr.client.solrj.SolrRequest;
import org.apache.solr.client.solrj.SolrServerException;
import org.apache.solr.client.solrj.impl.CloudSolrClient;
import org.apache.solr.client.solrj.impl.HttpJdkSolrClient;
import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.client.solrj.request.ConfigSetAdminRequest;
import org.apache.solr.client.solrj.response.QueryResponse;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrInputDocument;
import org.apache.solr.common.params.CursorMarkParams;

/**
 * One SolrCloud collection of images, reached through a cloud client over the JDK's HTTP client (updates go to shard
 * leaders, queries to any live replica; the cluster's state is read over HTTP from the given nodes). The metadata
 * document and the collection's life cycle (created with its own configset when missing) live here.
 */
final class SolrCollection implements Closeable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PAGE = 1000;

    final StoreAddress.SolrCollection address;
    final String name;
    private final CloudSolrClient client;

    private SolrCollection(StoreAddress.SolrCollection address, CloudSolrClient client) {
        this.address = address;
        this.name = address.collection();
        this.client = client;
    }

    static SolrCollection connect(StoreAddress.SolrCollection address) {
        List<String> nodes = address.solr().stream().map(URI::toString).toList();
        CloudSolrClient client = new CloudSolrClient.Builder(nodes)
                .withHttpClientBuilder(new HttpJdkSolrClient.Builder()
                        .useHttp1_1(true)
                        .withConnectionTimeout(5, TimeUnit.SECONDS)
                        .withRequestTimeout(120, TimeUnit.SECONDS))
                .withDefaultCollection(address.collection())
                .build();
        return new SolrCollection(address, client);
    }

    boolean exists() throws IOException {
        return call(() -> CollectionAdminRequest.listCollections(client)).contains(name);
    }

    /**
     * Creates the collection, {@code shards} x {@code replicas}, and waits until it is active. Its configset is
     * {@code mmr-<collection>}: uploaded here unless the cluster has one of that name already (a cluster that refuses
     * configset uploads takes it from an administrator's {@code bin/solr zk upconfig}).
     */
    void create(int dimension, IndexSettings settings) throws IOException {
        String configset = "mmr-" + name;
        if (!call(() -> new ConfigSetAdminRequest.List().process(client)).getConfigSets().contains(configset)) upload(configset, dimension, settings);
        CollectionAdminRequest.Create create = CollectionAdminRequest.createCollection(name, configset, address.shards(), address.replicas());
        create.setWaitForFinalState(true);
        call(() -> create.process(client));
    }

    private void upload(String configset, int dimension, IndexSettings settings) throws IOException {
        Path zip = Files.createTempFile("mmr-configset", ".zip");
        try {
            Files.write(zip, SolrSchema.configset(dimension, settings));
            ConfigSetAdminRequest.Upload upload = new ConfigSetAdminRequest.Upload().setConfigSetName(configset).setOverwrite(true);
            upload.setUploadFile(zip, "application/octet-stream");
            call(() -> upload.process(client));
        } finally {
            Files.deleteIfExists(zip);
        }
    }

    /** What the metadata document records, or empty when the collection has none (not an image collection). */
    Optional<Map<String, String>> metadata() throws IOException {
        SolrQuery query = new SolrQuery("*:*").addFilterQuery(IndexSchema.ID + ":" + org.apache.solr.client.solrj.util.ClientUtils.escapeQueryChars(SolrSchema.METADATA_ID))
                .setFields(SolrSchema.METADATA_FIELD).setRows(1);
        List<SolrDocument> docs = query(query).getResults();
        if (docs.isEmpty()) return Optional.empty();
        String json = (String) docs.get(0).getFirstValue(SolrSchema.METADATA_FIELD);
        return Optional.of(JSON.readValue(json, new TypeReference<Map<String, String>>() {
        }));
    }

    /** Writes the metadata document (visible at the next commit). */
    void writeMetadata(Map<String, String> data) throws IOException {
        SolrInputDocument doc = new SolrInputDocument();
        doc.setField(IndexSchema.ID, SolrSchema.METADATA_ID);
        doc.setField(SolrSchema.METADATA_FIELD, JSON.writeValueAsString(data));
        call(() -> client.add(name, doc));
    }

    /** The metadata and image count; refuses a collection that is not an image collection of this format. */
    IndexInfo info() throws IOException {
        Map<String, String> data = metadata().orElseThrow(() -> new IndexMismatchException(
                "the " + address + " is not an image index (it has no " + SolrSchema.METADATA_ID + " document)"));
        IndexInfo info = new IndexInfo(data, Math.toIntExact(count()));
        IndexIdentity.checkFormat(address.toString(), info);
        return info;
    }

    long count() throws IOException {
        return query(new SolrQuery("*:*").addFilterQuery(SolrSchema.IMAGES).setRows(0)).getResults().getNumFound();
    }

    QueryResponse query(SolrQuery query) throws IOException {
        return call(() -> client.query(name, query, SolrRequest.METHOD.POST));
    }

    /** Visits every image document in id order, {@code fields} only, page by page with a cursor. */
    void scan(String fields, Consumer<SolrDocument> visitor) throws IOException {
        String cursor = CursorMarkParams.CURSOR_MARK_START;
        while (true) {
            SolrQuery page = new SolrQuery("*:*").addFilterQuery(SolrSchema.IMAGES).setFields(fields).setRows(PAGE)
                    .setSort(IndexSchema.ID, SolrQuery.ORDER.asc);
            page.set(CursorMarkParams.CURSOR_MARK_PARAM, cursor);
            QueryResponse response = query(page);
            response.getResults().forEach(visitor);
            if (cursor.equals(response.getNextCursorMark())) return;
            cursor = response.getNextCursorMark();
        }
    }

    CloudSolrClient client() {
        return client;
    }

    /** A SolrJ call; Solr's own failures become IOExceptions naming the collection. */
    <T> T call(SolrCall<T> call) throws IOException {
        try {
            return call.run();
        } catch (SolrServerException | RuntimeException e) {
            throw new IOException("Solr (" + address + "): " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    interface SolrCall<T> {
        T run() throws SolrServerException, IOException;
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
