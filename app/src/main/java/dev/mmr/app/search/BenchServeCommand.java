package dev.mmr.app.search;

import dev.mmr.app.MmrCommand;
import dev.mmr.app.indexer.StoreOptions;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageRecord;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.Stores;
import dev.mmr.search.DemoCorpus;
import dev.mmr.search.HostileLoad;
import dev.mmr.search.LatencyStats;
import dev.mmr.search.ProjectRoot;
import dev.mmr.search.Reports;
import dev.mmr.search.SearchServer;
import dev.mmr.search.SearchService;
import dev.mmr.search.ServiceLimits;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Load test on loopback: starts the service in this process on 127.0.0.1, then for each level runs a fixed number of
 * clients that each send one search after another (distinct corpus images, cache off unless asked) for a fixed time.
 */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = {"Load-test the search service on 127.0.0.1: concurrent clients posting query images at each level;",
                "prints QPS, p50/p99 latency, errors and peak heap per level. Uses the demo index unless --index or --solr/--collection and --model are given."})
public final class BenchServeCommand implements Callable<Integer>, MmrCommand {
    /** The store to search: --index DIR or --solr URL --collection NAME; the demo index (built if needed) when neither is given. */
    @Mixin
    StoreOptions store;

    @Option(names = "--model", description = "Model folder that built the index. Default: the demo's model.")
    Path model;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent clients. Default: ${DEFAULT-VALUE}.")
    int clients;

    @Option(names = "--seconds", defaultValue = "60", description = "Measured seconds per level. Default: ${DEFAULT-VALUE}.")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "5", description = "Unmeasured seconds before each level. Default: ${DEFAULT-VALUE}.")
    int warmupSeconds;

    @Option(names = "--levels", split = ",", defaultValue = "1,2,4,8", description = "Levels to load. Default: ${DEFAULT-VALUE}.")
    List<Integer> levels;

    @Option(names = "--images", defaultValue = "512", description = "Distinct corpus images the clients cycle through. Default: ${DEFAULT-VALUE}.")
    int images;

    @Option(names = "--cache", description = "Keep the embedding cache on (then repeated images skip encoding).")
    boolean cache;

    @Option(names = "--workers", description = "Encode workers. Default: the number of cores.")
    Integer workers;

    @Option(names = "--batch", description = "Most waiting query images of one submodel encoded together. Default: 16.")
    Integer batch;

    @Option(names = "--hostile", description = {"Run attackers beside the clients: " + HostileLoad.SLOW_BODIES + " slow request bodies and "
            + HostileLoad.THUMBNAIL_CLIENTS + " clients asking for thumbnails of a 40-megapixel PNG (added to a temporary copy of the index);",
            "prints the attackers' answers and the process's peak resident memory."})
    boolean hostile;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || seconds < 1 || images < 1 || warmupSeconds < 0) {
            throw new IllegalArgumentException("--clients, --seconds and --images must be positive");
        }
        Path modelDir = model;
        StoreAddress address = store.given() ? store.address() : null;
        if (modelDir == null || address == null) {
            DemoCorpus.Setup demo = DemoCorpus.prepare(ProjectRoot.find(), System.out);
            modelDir = modelDir == null ? demo.model() : modelDir;
            address = address == null ? new StoreAddress.LocalIndex(demo.index()) : address;
        }
        if (hostile && !(address instanceof StoreAddress.LocalIndex)) {
            throw new IllegalArgumentException("--hostile needs an embedded index (--index DIR, or the demo's): it serves a temporary"
                    + " copy of it with a 40-megapixel image added");
        }
        MatMambaModel loaded = MatMambaModel.load(modelDir);
        Path hostileWork = hostile ? Files.createTempDirectory("mmr-bench-hostile") : null;
        if (hostile) {
            address = new StoreAddress.LocalIndex(HostileLoad.indexWithHugeImage(((StoreAddress.LocalIndex) address).folder(), loaded, hostileWork));
        }
        try {
            return measure(loaded, address);
        } finally {
            if (hostileWork != null) {
                HostileLoad.delete(hostileWork);
            }
        }
    }

    private int measure(MatMambaModel loaded, StoreAddress address) throws Exception {
        ServiceLimits d = ServiceLimits.defaults();
        ServiceLimits limits = new ServiceLimits(d.maxBodyBytes(), d.maxK(), d.maxEf(), workers == null ? d.workers() : workers,
                Math.max(d.queueCapacity(), clients), batch == null ? d.maxBatch() : batch, cache ? d.cacheBytes() : 0);
        try (loaded;
             ImageStore opened = Stores.open(address, loaded);
             SearchService service = new SearchService(loaded, opened, new Reports(ProjectRoot.find().resolve("reports")), limits);
             SearchServer server = SearchServer.start(service, "127.0.0.1", 0)) {
            List<byte[]> queries = queryImages(service, opened, images);
            System.out.printf("bench-serve: %s, %d clients, %d s per level (+%d s warm-up), %d distinct query images, cache %s, %d encode workers, batches of up to %d, -Xmx %d MiB%n",
                    opened.describe(), clients, seconds, warmupSeconds, queries.size(), cache ? "on" : "off", limits.workers(), limits.maxBatch(), Runtime.getRuntime().maxMemory() >> 20);
            System.out.printf("%-8s %9s %8s %8s %6s %9s %9s %7s %11s%n", "level", "GFLOP", "requests", "errors", "5xx", "QPS", "p50 ms", "p99 ms", "peak heap");
            HostileLoad attackers = hostile ? new HostileLoad(server.url()) : null;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            double firstQps = 0;
            for (int level : levels) {
                var submodel = service.submodels().stream().filter(s -> s.name().equals("level" + level)).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("level " + level + " is not a trained level of this model"));
                URI uri = server.url().resolve("/api/search?k=10&level=" + level);
                run(http, uri, queries, warmupSeconds);
                Result r = run(http, uri, queries, seconds);
                double qps = r.requests / (double) seconds;
                if (firstQps == 0) {
                    firstQps = qps;
                }
                System.out.printf("%-8s %9.4f %8d %8d %6d %9.1f %9.1f %7.1f %8d MiB   (%.2fx first level)%n", submodel.name(), submodel.gflop(),
                        r.requests, r.errors, r.serverErrors, qps, r.p50, r.p99, r.peakHeapBytes >> 20, qps / firstQps);
            }
            if (attackers != null) {
                attackers.close();
                System.out.printf("attackers: %d slow-body connections; answers %s; peak resident memory of this process %d MiB%n",
                        attackers.slowConnections(), attackers.answers(), attackers.peakRssMiB());
            }
            return 0;
        }
    }

    private record Result(long requests, long errors, long serverErrors, double p50, double p99, long peakHeapBytes) {
    }

    private Result run(HttpClient http, URI uri, List<byte[]> queries, int durationSeconds) throws InterruptedException {
        long end = System.nanoTime() + durationSeconds * 1_000_000_000L;
        AtomicLong errors = new AtomicLong();
        AtomicLong serverErrors = new AtomicLong();
        AtomicLong next = new AtomicLong();
        LatencyStats latencies = new LatencyStats();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofPlatform().name("bench-client-" + c).start(() -> {
                while (System.nanoTime() < end) {
                    byte[] image = queries.get((int) (next.getAndIncrement() % queries.size()));
                    long start = System.nanoTime();
                    try {
                        HttpResponse<Void> response = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/octet-stream")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(image)).build(), HttpResponse.BodyHandlers.discarding());
                        if (response.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                        if (response.statusCode() >= 500) {
                            serverErrors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    latencies.record((System.nanoTime() - start) / 1e6);
                }
            }));
        }
        Runtime rt = Runtime.getRuntime();
        long peak = 0;
        while (threads.stream().anyMatch(Thread::isAlive)) {
            peak = Math.max(peak, rt.totalMemory() - rt.freeMemory());
            Thread.sleep(100);
        }
        LatencyStats.Snapshot all = latencies.snapshot();
        return new Result(all.count(), errors.get(), serverErrors.get(), all.p50Ms(), all.p99Ms(), peak);
    }

    /** The stored images of the first {@code count} items of the index, as query images. */
    private static List<byte[]> queryImages(SearchService service, ImageStore index, int count) throws java.io.IOException {
        List<String> ids = new ArrayList<>();
        index.forEach((ImageRecord image, float[] embedding) -> {
            if (ids.size() < count) {
                ids.add(image.id());
            }
        });
        return ids.stream().map(id -> service.image(id, null).bytes()).toList();
    }
}
