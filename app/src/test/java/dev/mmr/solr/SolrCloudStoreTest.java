package dev.mmr.solr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.app.MmrRun;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.Hit;
import dev.mmr.indexer.ImageFilter;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.IndexMismatchException;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import dev.mmr.search.Http;
import dev.mmr.search.TestCorpus;
import java.net.URI;
import java.util.Map;
import java.util.stream.Collectors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SolrCloud store against a real local cluster (3 nodes, a collection of 2 shards x 2 replicas) holding the same
 * 300 CIFAR-10 test images as the embedded index it is compared with.
 */
class SolrCloudStoreTest {
    static LocalCluster cluster;
    static MatMambaModel model;
    static StoreAddress.SolrCollection address;
    static ImageStore solr;
    static ImageIndex embedded;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        cluster = Clusters.start("store");
        model = MatMambaModel.load(TestCorpus.model());
        address = Clusters.collection(cluster, "cifar");
        BulkIndexer.Result result = Clusters.indexCorpus(model, address, TestCorpus.root().resolve("target/solr-test/store-rejects.tsv"));
        System.out.printf("indexed %d images into the %s at %.1f images/s%n", result.indexed(), address, result.imagesPerSecond());
        solr = Stores.open(address, model);
        embedded = ImageIndex.open(TestCorpus.index(model), model);
    }

    @AfterAll
    static void stop() throws Exception {
        if (solr != null) solr.close();
        if (embedded != null) embedded.close();
        if (model != null) model.close();
        if (cluster != null) cluster.close();
    }

    private static List<String> ids(List<Hit> hits) {
        return hits.stream().map(h -> h.image().id()).toList();
    }

    /** Query vectors: the stored embeddings of every 15th image (20 queries over the 10 classes). */
    private static List<float[]> queries() throws Exception {
        List<float[]> queries = new ArrayList<>();
        int[] row = {0};
        embedded.forEach((image, embedding) -> {
            if (row[0]++ % 15 == 0) queries.add(embedding);
        });
        return queries;
    }

    @Test
    void holdsTheCorpusWithItsModelIdentity() throws Exception {
        assertEquals(embedded.size(), solr.size());
        var info = solr.info();
        assertEquals(model.fingerprint(), info.modelFingerprint());
        assertEquals(model.embeddingDim(), info.dimension());
        assertTrue(info.complete(), info.commitData().toString());
        assertEquals(embedded.info().commitData().get(IndexSchema.PREPROCESSING), info.commitData().get(IndexSchema.PREPROCESSING));
        assertEquals(Long.toString(embedded.size()), info.commitData().get(IndexSchema.COUNT));
    }

    @Test
    void exactSearchFindsTheSameTopTenAsTheEmbeddedIndexAndHnswRecallIsHigh() throws Exception {
        int found = 0;
        int wanted = 0;
        for (float[] query : queries()) {
            List<Hit> exact = solr.exactSearch(query, 10, null);
            List<Hit> reference = embedded.exactSearch(query, 10, null);
            assertEquals(ids(reference), ids(exact));
            for (int i = 0; i < 10; i++) assertEquals(reference.get(i).similarity(), exact.get(i).similarity(), 1e-5f);
            Set<String> approximate = new HashSet<>(ids(solr.search(query, 10, null, 10)));
            found += (int) ids(exact).stream().filter(approximate::contains).count();
            wanted += 10;
        }
        double recall = (double) found / wanted;
        System.out.printf("HNSW recall@10 against exact search over %d queries (ef 10, 2 shards): %.3f%n", wanted / 10, recall);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
    }

    @Test
    void filtersAreFilterQueries() throws Exception {
        float[] query = queries().get(3);
        List<Hit> cats = solr.exactSearch(query, 100, ImageFilter.label("cat"));
        assertEquals(TestCorpus.PER_CLASS, cats.size());
        assertTrue(cats.stream().allMatch(h -> h.image().label().equals("cat")));
        assertEquals(ids(embedded.exactSearch(query, 100, ImageFilter.label("cat"))), ids(cats));
        List<Hit> twoLabels = solr.search(query, 100, ImageFilter.label("cat", "dog"), 100);
        assertEquals(2 * TestCorpus.PER_CLASS, twoLabels.size());
        assertTrue(twoLabels.stream().allMatch(h -> Set.of("cat", "dog").contains(h.image().label())));
        assertTrue(solr.search(query, 10, ImageFilter.field("split", "nowhere"), 10).isEmpty());
    }

    @Test
    void getByIdAndStoredVectorsMatchTheEmbeddedIndex() throws Exception {
        List<String> some = new ArrayList<>();
        embedded.forEach((image, embedding) -> {
            if (some.size() < 5) some.add(image.id());
        });
        for (String id : some) {
            assertEquals(embedded.get(id), solr.get(id));
            // the same image encoded in batches of another size differs in the last float bits
            assertArrayEquals(embedded.vector(id).orElseThrow(), solr.vector(id).orElseThrow(), 1e-5f, id);
        }
        assertTrue(solr.get("no/such.jpg").isEmpty());
        assertTrue(solr.get(SolrSchema.METADATA_ID).isEmpty(), "the metadata document is not an image");
        long[] visited = {0};
        solr.forEach((image, embedding) -> visited[0]++);
        assertEquals(solr.size(), visited[0]);
    }

    @Test
    void addInfoExportAndDeleteCommandsWorkOnTheCollection() throws Exception {
        String nodes = cluster.nodes().stream().map(URI::toString).collect(Collectors.joining(","));
        Path image = TestCorpus.images().resolve(embedded.get(ids(embedded.exactSearch(queries().get(0), 1, null)).get(0)).orElseThrow().id());
        MmrRun added = MmrRun.of("add", "--model", TestCorpus.model().toString(), "--solr", nodes, "--collection", "cifar",
                "--id", "extra/cat.jpg", "--image", image.toString(), "--label", "mine", "--field", "owner=me");
        assertEquals(0, added.exit(), added.err());
        assertEquals(Map.of("owner", "me"), solr.get("extra/cat.jpg").orElseThrow().fields());
        assertEquals(embedded.size() + 1, solr.size());
        JsonNode info = new ObjectMapper().readTree(MmrRun.of("info", "--solr", nodes, "--collection", "cifar").out());
        assertEquals(embedded.size() + 1, info.get("documents").asLong());
        assertEquals(model.fingerprint(), info.get(IndexSchema.MODEL_FINGERPRINT).asText());

        Path out = tmp.resolve("export");
        assertEquals(0, MmrRun.of("export", "--solr", nodes, "--collection", "cifar", "--out", out.toString()).exit());
        assertEquals(embedded.size() + 2, Files.readAllLines(out.resolve("images.csv")).size());

        MmrRun unknown = MmrRun.of("delete", "--solr", nodes, "--collection", "cifar", "--id", "extra/cat.jpg", "--id", "nope");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("nope"), unknown.err());
        assertEquals(embedded.size() + 1, solr.size(), "a delete naming an unknown id deletes nothing");
        assertEquals(0, MmrRun.of("delete", "--solr", nodes, "--collection", "cifar", "--id", "extra/cat.jpg").exit());
        assertEquals(embedded.size(), solr.size());
        assertTrue(solr.get("extra/cat.jpg").isEmpty());

        MmrRun both = MmrRun.of("info", "--index", tmp.toString(), "--solr", nodes, "--collection", "cifar");
        assertNotEquals(0, both.exit());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
    }

    @Test
    void theApiSearchesTheCollectionAndServesItsImages() throws Exception {
        String id = ids(embedded.exactSearch(queries().get(5), 1, null)).get(0);
        byte[] bytes = Files.readAllBytes(TestCorpus.images().resolve(id));
        try (StoreServer running = StoreServer.start(model, solr, tmp)) {
            Http http = new Http(running.server().url());
            Http.Answer image = http.get("/api/items/" + id + "/image");
            assertEquals(200, image.status());
            assertArrayEquals(bytes, image.body());
            JsonNode result = http.post("/api/search?k=5&exact=true", bytes).json();
            float[] query = model.encode(model.preprocessor().preprocess(bytes), 1, model.full()).embedding(0);
            List<String> expected = ids(embedded.exactSearch(query, 5, null));
            List<String> answered = new ArrayList<>();
            result.get("hits").forEach(h -> answered.add(h.get("id").asText()));
            assertEquals(expected, answered);
            assertEquals(embedded.size(), http.get("/health").json().get("documents").asLong());
            assertEquals(404, http.get("/api/items/no/such.jpg").status());
        }
    }

    @Test
    void anotherModelIsRefused() throws Exception {
        Path other = tmp.resolve("other-model");
        Files.createDirectories(other);
        try (var files = Files.list(TestCorpus.model())) {
            for (Path f : files.toList()) Files.copy(f, other.resolve(f.getFileName()));
        }
        Files.writeString(other.resolve("config.json"), "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (MatMambaModel changed = MatMambaModel.load(other)) {
            IndexMismatchException read = assertThrows(IndexMismatchException.class, () -> Stores.open(address, changed));
            assertTrue(read.getMessage().contains(model.fingerprint()) && read.getMessage().contains(changed.fingerprint()), read.getMessage());
            assertThrows(IndexMismatchException.class, () -> Stores.openWriter(address, changed, IndexSettings.DEFAULT));
        }
        assertEquals(embedded.size(), solr.size());
    }
}
