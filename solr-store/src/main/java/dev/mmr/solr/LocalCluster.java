package dev.mmr.solr;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local SolrCloud (N nodes, embedded ZooKeeper, 127.0.0.1) running in a JVM of its own: the {@code solr-local}
 * module's classes and Solr 9 jars, copied by the build to {@code target/solr-local/}, never on this JVM's classpath.
 * Nodes can be stopped and started again through the child's standard input (its Jetty stops, its cores close,
 * ZooKeeper sees the node leave, as when a node goes down); {@link #close} ends the child with SIGTERM.
 */
public final class LocalCluster implements AutoCloseable {
    private static final Pattern NODE = Pattern.compile("node (\\d+): (http://\\S+)");
    private static final String MAIN = "dev.mmr.solrlocal.SolrLocal";

    private final Process process;
    private final List<URI> nodes;
    private final String zookeeper;
    private final BlockingQueue<String> answers;
    private final Writer control;

    private LocalCluster(Process process, List<URI> nodes, String zookeeper, BlockingQueue<String> answers) {
        this.process = process;
        this.nodes = List.copyOf(nodes);
        this.zookeeper = zookeeper;
        this.answers = answers;
        this.control = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /**
     * Starts a cluster and waits until every node is up.
     *
     * @param port 0 for free ports; else node i listens on port+i-1 and ZooKeeper on port+1000
     * @param dir  the cluster's folder (emptied first); its log is {@code dir/logs/solr.log}
     * @param echo receives each line the cluster prints while starting (null: none)
     */
    public static LocalCluster start(int nodes, int port, Path dir, java.util.function.Consumer<String> echo) throws IOException, InterruptedException {
        if (nodes < 1) throw new IllegalArgumentException("--nodes must be at least 1");
        if (port < 0 || port > 65535 - 1000) throw new IllegalArgumentException("--port must be 0 (free ports) or a port below 64535");
        Path home = home();
        deleteTree(dir);
        Files.createDirectories(dir);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + (256 + 256 * nodes) + "m", "--enable-native-access=ALL-UNNAMED",
                "-cp", home.resolve("classes") + java.io.File.pathSeparator + home.resolve("lib") + java.io.File.separator + "*",
                MAIN, Integer.toString(nodes), Integer.toString(port), dir.toAbsolutePath().toString());
        Process process = new ProcessBuilder(command).redirectError(dir.resolve("stderr.log").toFile()).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) lines.add(line);
            } catch (IOException e) {
                // the child ended
            }
        }, "solr-local-output");
        reader.setDaemon(true);
        reader.start();

        List<URI> urls = new ArrayList<>();
        String zookeeper = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    process.destroyForcibly();
                    throw new IOException("the local SolrCloud did not start (see " + dir.resolve("stderr.log") + " and " + dir.resolve("logs/solr.log") + ")");
                }
                continue;
            }
            if (echo != null && !line.equals("ready")) echo.accept(line);
            Matcher node = NODE.matcher(line);
            if (node.matches()) urls.add(URI.create(node.group(2)));
            else if (line.startsWith("zookeeper: ")) zookeeper = line.substring("zookeeper: ".length());
            else if (line.equals("ready")) break;
        }
        return new LocalCluster(process, urls, zookeeper, lines);
    }

    /** The folder holding the cluster's classes and jars: {@code target/solr-local} of the project. */
    static Path home() throws IOException {
        List<Path> starts = new ArrayList<>();
        if (System.getProperty("mmr.home") != null) starts.add(Path.of(System.getProperty("mmr.home")));
        starts.add(Path.of("").toAbsolutePath());
        for (Path start : starts)
            for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent())
                if (Files.isDirectory(dir.resolve("target/solr-local/lib"))) return dir.resolve("target/solr-local");
        throw new IOException("target/solr-local/ is missing: build the project first (mvn package, or bin/mmr builds it)");
    }

    /** Node base URLs, {@code http://127.0.0.1:PORT/solr}, node 1 first. */
    public List<URI> nodes() {
        return nodes;
    }

    /** ZooKeeper's {@code host:port}. */
    public String zookeeper() {
        return zookeeper;
    }

    /** Stops node {@code n} (1-based): its Jetty and cores shut down; the others keep serving. */
    public void stopNode(int n) throws IOException, InterruptedException {
        control("stop " + n, "stopped node " + n);
    }

    /** Starts node {@code n} again on its port; its replicas recover from their shard leaders. */
    public void startNode(int n) throws IOException, InterruptedException {
        control("start " + n, "started node " + n);
    }

    private synchronized void control(String command, String expected) throws IOException, InterruptedException {
        control.write(command + "\n");
        control.flush();
        String answer = answers.poll(2, TimeUnit.MINUTES);
        if (answer == null || !answer.startsWith(expected))
            throw new IOException("local SolrCloud: '" + command + "' answered " + (answer == null ? "nothing" : "'" + answer + "'"));
    }

    /** Blocks until the cluster's JVM ends. */
    public int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** Stops the whole cluster (SIGTERM, then SIGKILL after a minute). */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(1, TimeUnit.MINUTES)) process.destroyForcibly().waitFor();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
