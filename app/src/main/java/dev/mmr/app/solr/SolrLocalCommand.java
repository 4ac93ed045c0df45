package dev.mmr.app.solr;

import dev.mmr.app.MmrCommand;
import dev.mmr.solr.LocalCluster;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "solr-local", mixinStandardHelpOptions = true,
        description = {"Runs a local SolrCloud on 127.0.0.1 for development: N Solr nodes and an embedded ZooKeeper in a JVM of",
                "their own (Solr's MiniSolrCloudCluster). Prints each node's URL and ZooKeeper's address; Ctrl-C stops it.",
                "Then: mmr index ... --solr http://127.0.0.1:PORT/solr --collection NAME --shards 2 --replicas 2"})
public final class SolrLocalCommand implements Callable<Integer>, MmrCommand {
    @Option(names = "--nodes", defaultValue = "3", description = "Solr nodes (default: ${DEFAULT-VALUE})")
    int nodes;

    @Option(names = "--port", defaultValue = "8983",
            description = "node N listens on PORT+N-1, ZooKeeper on PORT+1000 (Solr's convention); 0 picks free ports (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--dir", defaultValue = "runs/solr-local", description = "the cluster's folder, emptied at start (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = LocalCluster.start(nodes, port, dir, System.out::println);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "solr-local-stop"));
        System.out.println("logs: " + dir.resolve("logs/solr.log") + "  (Ctrl-C stops the cluster)");
        System.out.flush();
        return cluster.waitFor();
    }
}
