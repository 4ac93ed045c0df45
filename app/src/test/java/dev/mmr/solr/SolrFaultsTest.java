package dev.mmr.solr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.IndexInfo;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import dev.mmr.indexer.source.ImageSource;
import dev.mmr.search.TestCorpus;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.solr.client.solrj.impl.HttpJdkSolrClient;
import org.apache.solr.client.solrj.request.SolrQuery;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.Slice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Faults against a real local SolrCloud: an indexing process killed part-way, a node down while clients search. */
class SolrFaultsTest {
    static LocalCluster cluster;
    static MatMambaModel model;

    @BeforeAll
    static void start() throws Exception {
        cluster = Clusters.start("faults");
        model = MatMambaModel.load(TestCorpus.model());
    }

    @AfterAll
    static void stop() throws Exception {
        if (model != null) model.close();
        if (cluster != null) cluster.close();
    }

    private static Process index(StoreAddress.SolrCollection address, Path log) throws IOException {
        String nodes = address.solr().stream().map(URI::toString).collect(Collectors.joining(","));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "dev.mmr.app.Mmr",
                "index", "--model", TestCorpus.model().toString(), "--source", TestCorpus.images().toString(),
                "--solr", nodes, "--collection", address.collection(), "--shards", "2", "--replicas", "2",
                "--rejects", log.resolveSibling("rejects.tsv").toString(),
                "--batch", "8", "--threads", "1", "--commit-every", "16", "--quiet");
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @Test
    void killedIndexingRunResumesToEveryImageExactlyOnce() throws Exception {
        StoreAddress.SolrCollection address = Clusters.collection(cluster, "killed");
        Path log = TestCorpus.root().resolve("target/solr-test/faults-kill/index.log");
        Files.createDirectories(log.getParent());
        Files.deleteIfExists(log);
        Process child = index(address, log);
        IndexInfo atKill = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        try (ImageStore store = openWhenCreated(address, child, deadline)) {
            while (System.nanoTime() < deadline && child.isAlive()) {
                atKill = store.info();
                if (Integer.parseInt(atKill.commitData().get(IndexSchema.COUNT)) >= 48) break;
                Thread.sleep(20);
            }
        }
        child.destroyForcibly().waitFor();
        assertTrue(atKill != null && !atKill.complete(), "the child must be killed part-way: " + Files.readString(log));
        System.out.printf("indexing process killed (SIGKILL) with %s images committed%n", atKill.commitData().get(IndexSchema.COUNT));

        Process rerun = index(address, log);
        assertTrue(rerun.waitFor(5, TimeUnit.MINUTES), "rerun did not finish");
        assertEquals(0, rerun.exitValue(), Files.readString(log));

        Set<String> expected = new HashSet<>();
        try (ImageSource source = ImageSource.open(TestCorpus.images(), null)) {
            source.scan((entry, content) -> expected.add(entry.id()));
        }
        try (ImageStore store = Stores.open(address, model)) {
            assertTrue(store.info().complete());
            List<String> ids = new ArrayList<>();
            store.forEach((image, embedding) -> ids.add(image.id()));
            assertEquals(expected.size(), ids.size(), "every image exactly once across both shards");
            assertEquals(expected, new HashSet<>(ids));
            assertEquals(expected.size(), store.size());
        }
    }

    private static ImageStore openWhenCreated(StoreAddress address, Process child, long deadline) throws Exception {
        while (true) {
            try {
                return Stores.open(address, model);
            } catch (IOException e) {
                if (!child.isAlive() || System.nanoTime() > deadline) throw e;
                Thread.sleep(200);
            }
        }
    }

    private record Phase(String name, long requests, long errors, double p50, double p99) {
    }

    @Test
    void searchesKeepAnsweringWhileANodeIsDownAndTheCollectionIsWholeWhenItReturns() throws Exception {
        StoreAddress.SolrCollection address = Clusters.collection(cluster, "faults");
        Clusters.indexCorpus(model, address, TestCorpus.root().resolve("target/solr-test/faults-rejects.tsv"));
        try (ImageStore store = Stores.open(address, model)) {
            List<float[]> queries = new ArrayList<>();
            store.forEach((image, embedding) -> queries.add(embedding));
            String[] names = {"before", "node 2 down", "after"};
            AtomicInteger phase = new AtomicInteger();
            AtomicLong[] errors = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
            List<ConcurrentLinkedQueue<Double>> latencies = List.of(new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>(), new ConcurrentLinkedQueue<>());
            AtomicLong next = new AtomicLong();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                clients.add(Thread.ofPlatform().name("search-client-" + c).start(() -> {
                    while (phase.get() < 3) {
                        int p = phase.get();
                        long start = System.nanoTime();
                        try {
                            if (store.search(queries.get((int) (next.getAndIncrement() % queries.size())), 10, null, 10).size() != 10)
                                throw new IllegalStateException("short answer");
                            latencies.get(p).add((System.nanoTime() - start) / 1e6);
                        } catch (Exception e) {
                            if (p < 3) errors[p].incrementAndGet();
                        }
                    }
                }));
            }
            Thread.sleep(5000);
            phase.set(1);
            cluster.stopNode(2);
            Thread.sleep(10_000);
            cluster.startNode(2);
            waitUntilWhole(address, 300);
            phase.set(2);
            Thread.sleep(5000);
            phase.set(3);
            for (Thread t : clients) t.join();

            List<Phase> phases = new ArrayList<>();
            System.out.println("| phase | searches answered | errors | p50 ms | p99 ms |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (int p = 0; p < 3; p++) {
                double[] sorted = latencies.get(p).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                Phase row = new Phase(names[p], sorted.length, errors[p].get(), percentile(sorted, 0.5), percentile(sorted, 0.99));
                phases.add(row);
                System.out.printf(Locale.ROOT, "| %s | %d | %d | %.1f | %.1f |%n", row.name, row.requests, row.errors, row.p50, row.p99);
            }
            assertEquals(0, phases.get(0).errors());
            assertTrue(phases.get(1).requests() > 0, "searches must keep answering while a node is down");
            assertTrue(phases.get(1).errors() <= phases.get(1).requests() / 20, "errors while a node is down: " + phases.get(1));
            assertEquals(0, phases.get(2).errors());
            assertEquals(300, store.size());
        }
    }

    private static double percentile(double[] sorted, double q) {
        return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /** Waits until every replica is active on a live node and each shard's replicas hold the same images, {@code images} in all. */
    private static void waitUntilWhole(StoreAddress.SolrCollection address, long images) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        String state = "";
        try (SolrCollection collection = SolrCollection.connect(address)) {
            while (System.nanoTime() < deadline) {
                var clusterState = collection.client().getClusterState();
                DocCollection docs = clusterState.getCollection(address.collection());
                Set<String> live = clusterState.getLiveNodes();
                boolean active = docs.getReplicas().stream().allMatch(r -> r.isActive(live));
                long total = 0;
                boolean consistent = active;
                List<String> counts = new ArrayList<>();
                for (Slice shard : docs.getSlices()) {
                    Set<Long> perReplica = new HashSet<>();
                    for (Replica replica : shard.getReplicas()) {
                        long n = active ? countOn(replica) : -1;
                        perReplica.add(n);
                        counts.add(shard.getName() + "/" + replica.getName() + "=" + n);
                    }
                    consistent &= perReplica.size() == 1;
                    total += perReplica.iterator().next();
                }
                state = "active " + active + ", " + counts;
                if (consistent && total == images) {
                    System.out.println("collection whole again: " + state);
                    return;
                }
                Thread.sleep(500);
            }
        }
        throw new AssertionError("the collection did not become whole again: " + state);
    }

    /** The images a replica holds by itself ({@code distrib=false}); -1 while it cannot answer. */
    private static long countOn(Replica replica) {
        try (var client = new HttpJdkSolrClient.Builder(replica.getBaseUrl()).useHttp1_1(true).build()) {
            SolrQuery query = new SolrQuery("*:*").addFilterQuery(SolrSchema.IMAGES).setRows(0);
            query.set("distrib", false);
            return client.query(replica.getCoreName(), query).getResults().getNumFound();
        } catch (Exception e) {
            return -1;
        }
    }
}
