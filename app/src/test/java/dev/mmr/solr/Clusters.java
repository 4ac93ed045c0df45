package dev.mmr.solr;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import dev.mmr.indexer.source.ImageSource;
import dev.mmr.search.TestCorpus;
import java.nio.file.Path;
import java.time.Duration;

/** The tests' local SolrCloud: 3 nodes on free ports, started as bin/mmr solr-local starts it; and its collections. */
final class Clusters {
    private Clusters() {
    }

    static LocalCluster start(String name) throws Exception {
        Path dir = TestCorpus.root().resolve("target/solr-test/" + name);
        long start = System.nanoTime();
        LocalCluster cluster = LocalCluster.start(3, 0, dir, null);
        System.out.printf("%s: local SolrCloud of 3 nodes up in %.1f s: %s, zookeeper %s%n", name, (System.nanoTime() - start) / 1e9,
                cluster.nodes(), cluster.zookeeper());
        return cluster;
    }

    /** A collection of 2 shards x 2 replicas on the cluster. */
    static StoreAddress.SolrCollection collection(LocalCluster cluster, String name) {
        return new StoreAddress.SolrCollection(cluster.nodes(), name, 2, 2);
    }

    /** Indexes the search API's test corpus (300 CIFAR-10 test images) into a new collection with the bulk pipeline. */
    static BulkIndexer.Result indexCorpus(MatMambaModel model, StoreAddress.SolrCollection collection, Path rejects) throws Exception {
        try (ImageSource source = ImageSource.open(TestCorpus.images(), null);
             ImageStoreWriter writer = Stores.openWriter(collection, model, IndexSettings.DEFAULT)) {
            return new BulkIndexer(model, writer, new BulkIndexer.Options(32, 1, 10_000, Duration.ofMinutes(1), 0)).run(source, rejects);
        }
    }
}
