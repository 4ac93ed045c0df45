package dev.mmr.search;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counters and latencies served at {@code /api/metrics}: requests per route, errors per code, times per submodel. */
final class Metrics {
    private final Map<String, LongAdder> requestsByRoute = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errorsByCode = new ConcurrentHashMap<>();
    private final Map<String, LatencyStats> encodeBySubmodel = new ConcurrentHashMap<>();
    private final Map<String, LatencyStats> searchBySubmodel = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> batchSizeSumBySubmodel = new ConcurrentHashMap<>();

    void request(String route) {
        requestsByRoute.computeIfAbsent(route, r -> new LongAdder()).increment();
    }

    void error(String code) {
        errorsByCode.computeIfAbsent(code, c -> new LongAdder()).increment();
    }

    /** One query image encoded (a cache miss) by a submodel, in one encoder call with {@code batchSize} images. */
    void encoded(String submodel, double millis, int batchSize) {
        encodeBySubmodel.computeIfAbsent(submodel, s -> new LatencyStats()).record(millis);
        batchSizeSumBySubmodel.computeIfAbsent(submodel, s -> new LongAdder()).add(batchSize);
    }

    /** One whole search request answered with a submodel (encode, or cache hit, plus the index search). */
    void searched(String submodel, double totalMillis) {
        searchBySubmodel.computeIfAbsent(submodel, s -> new LatencyStats()).record(totalMillis);
    }

    Map<String, Long> requests() {
        return counts(requestsByRoute);
    }

    Map<String, Long> errors() {
        return counts(errorsByCode);
    }

    Map<String, LatencyStats.Snapshot> encodeLatencies() {
        return snapshots(encodeBySubmodel);
    }

    /** Per submodel, the mean number of images in the encoder call that encoded a query image. */
    Map<String, Double> encodeBatchSizes() {
        Map<String, Double> out = new TreeMap<>();
        batchSizeSumBySubmodel.forEach((submodel, sum) ->
                out.put(submodel, sum.sum() / (double) Math.max(1, encodeBySubmodel.get(submodel).snapshot().count())));
        return out;
    }

    Map<String, LatencyStats.Snapshot> searchLatencies() {
        return snapshots(searchBySubmodel);
    }

    private static Map<String, Long> counts(Map<String, LongAdder> adders) {
        Map<String, Long> out = new TreeMap<>();
        adders.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    private static Map<String, LatencyStats.Snapshot> snapshots(Map<String, LatencyStats> stats) {
        Map<String, LatencyStats.Snapshot> out = new TreeMap<>();
        stats.forEach((k, v) -> out.put(k, v.snapshot()));
        return out;
    }
}
