package dev.mmr.solrlocal;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.cloud.ZkTestServer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * A SolrCloud of N nodes and an embedded ZooKeeper on 127.0.0.1, in this JVM: Solr's own
 * {@link MiniSolrCloudCluster}. Arguments: {@code NODES PORT DIR} (PORT 0 picks free ports; otherwise node i listens
 * on PORT+i-1 and ZooKeeper on PORT+1000, Solr's convention for its embedded ZooKeeper).
 *
 * <p>Prints {@code node N: http://127.0.0.1:PORT/solr} per node and {@code zookeeper: 127.0.0.1:PORT} once the
 * cluster is up, then {@code ready}. Reads commands from standard input, one a line, answering each with one line:
 * {@code stop N} stops node N's Jetty (its cores close, ZooKeeper sees the node leave), {@code start N} starts it
 * again on the same port. Stops on SIGTERM, Ctrl-C, or the end of standard input (the process that started it is gone).
 */
public final class SolrLocal {
    private SolrLocal() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: SolrLocal NODES PORT DIR");
            System.exit(2);
        }
        int nodes = Integer.parseInt(args[0]);
        int port = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]).toAbsolutePath();
        Files.createDirectories(dir);
        System.setProperty("solr.log.dir", dir.resolve("logs").toString());

        ZkTestServer zookeeper = new ZkTestServer(dir.resolve("zookeeper"), port == 0 ? 0 : port + 1000);
        zookeeper.run(false);
        MiniSolrCloudCluster cluster = new MiniSolrCloudCluster(0, dir.resolve("nodes"), MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML,
                JettyConfig.builder().build(), zookeeper, true);
        for (int i = 0; i < nodes; i++) {
            cluster.startJettySolrRunner("node" + (i + 1), "/solr", JettyConfig.builder().setPort(port == 0 ? 0 : port + i).build());
        }
        cluster.waitForAllNodes(60);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                cluster.shutdown();
            } catch (Exception e) {
                System.err.println("solr-local: shutdown: " + e);
            }
        }, "solr-local-shutdown"));

        List<JettySolrRunner> jettys = List.copyOf(cluster.getJettySolrRunners());
        for (int i = 0; i < jettys.size(); i++) System.out.println("node " + (i + 1) + ": " + jettys.get(i).getBaseUrl());
        System.out.println("zookeeper: " + zookeeper.getZkAddress().replaceFirst("/solr$", ""));
        System.out.println("ready");
        System.out.flush();

        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = commands.readLine(); line != null; line = commands.readLine()) {
            System.out.println(control(cluster, jettys, line.trim()));
            System.out.flush();
        }
        System.exit(0);
    }

    /** One control command: {@code stop N} or {@code start N}; returns the answer line. */
    private static String control(MiniSolrCloudCluster cluster, List<JettySolrRunner> jettys, String command) {
        String[] words = command.split("\\s+");
        try {
            if (words.length != 2) throw new IllegalArgumentException("expected 'stop N' or 'start N'");
            int node = Integer.parseInt(words[1]);
            if (node < 1 || node > jettys.size()) throw new IllegalArgumentException("no node " + node);
            JettySolrRunner jetty = jettys.get(node - 1);
            switch (words[0]) {
                case "stop" -> {
                    cluster.stopJettySolrRunner(jetty);
                    cluster.waitForJettyToStop(jetty);
                    return "stopped node " + node;
                }
                case "start" -> {
                    cluster.startJettySolrRunner(jetty, true);
                    cluster.waitForNode(jetty, 60);
                    return "started node " + node + ": " + jetty.getBaseUrl();
                }
                default -> throw new IllegalArgumentException("unknown command " + words[0]);
            }
        } catch (Exception e) {
            return "error: " + e.getMessage();
        }
    }
}
