package dev.mmr.search;

import dev.mmr.encoder.Cost;
import dev.mmr.encoder.ImageDecodeException;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
import dev.mmr.indexer.ImageFilter;
import dev.mmr.indexer.ImageRecord;
import dev.mmr.indexer.ImageStore;
import java.io.UncheckedIOException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Query by image: the image is decoded and encoded by the chosen nested submodel on a bounded pool of workers that
 * encode concurrent queries of one submodel together (a full queue is refused, not buffered), its embedding cached by (image hash, submodel), and searched against the
 * full-width index. Also the item look-ups and the submodel catalogue with measured latency and quality.
 */
public final class SearchService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SearchService.class);
    private static final int CALIBRATION_RUNS = 7;
    /** How often the index is checked for a newer commit (by mmr add/delete, the write API, a running mmr index). */
    static final long REFRESH_MILLIS = 200;
    /** Most label and field terms one filter may hold (well under Lucene's clause limit). */
    static final int MAX_FILTER_TERMS = 100;
    private final MatMambaModel model;
    private final ImageStore index;
    private final ServiceLimits limits;
    private final Reports reports;
    private final StoredImages images;
    private final Thumbnails thumbnails;
    private final EmbeddingCache cache;
    private final EncodeLatencies latencies = new EncodeLatencies();
    private final Metrics metrics = new Metrics();
    private final QueryEncoder encoder;
    private final LargeImageLane largeImages;
    private final ScheduledExecutorService refresher = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("index-refresh").daemon().factory());
    private final List<Widths> levels;

    /** How the caller chose the query submodel: at most one of the three is set; none means full width. */
    public record SubmodelChoice(Integer level, int[] widths, Double budgetMs) {
    }

    /** Search options besides the submodel. {@code ef} null means the index default; labels are OR-ed, fields AND-ed. */
    public record SearchOptions(int k, Integer ef, boolean exact, List<String> labels, Map<String, String> fields) {
    }

    public record Submodel(String name, int[] widths, long params, double gflop, Double latencyMs,
                           List<Reports.Quality> quality) {
    }

    public record Hit(String id, float score, String label, Map<String, String> fields, String thumbnailUrl) {
    }

    public record Timings(double encodeMs, double searchMs, double totalMs) {
    }

    /** A search's answer; {@code budgetMet} is null when no budget was given. */
    public record SearchResult(List<Hit> hits, Submodel submodel, boolean cached, boolean exact, Double budgetMs,
                               Boolean budgetMet, Timings timings) {
    }

    public record Item(String id, String label, Map<String, String> fields, String imageUrl, String thumbnailUrl) {
    }

    public SearchService(MatMambaModel model, ImageStore index, Reports reports, ServiceLimits limits) {
        this.model = model;
        this.index = index;
        this.limits = limits;
        this.reports = reports;
        this.images = new StoredImages();
        this.thumbnails = new Thumbnails(images, Math.max(1, limits.workers() / 2));
        this.cache = new EmbeddingCache(limits.cacheBytes());
        this.levels = model.trainedLevels();
        calibrate();
        this.encoder = new QueryEncoder(model, limits.workers(), limits.queueCapacity(), limits.maxBatch());
        this.largeImages = new LargeImageLane(model.preprocessor(), Math.max(1, limits.workers() / 2));
        refresher.scheduleWithFixedDelay(this::refresh, REFRESH_MILLIS, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Times each trained level on a blank image (after a warm-up), the start of the moving estimates. */
    private void calibrate() {
        int size = model.config().imageSize();
        float[] blank = new float[3 * size * size];
        for (Widths w : levels) {
            model.encode(blank, 1, w);
            double[] millis = new double[CALIBRATION_RUNS];
            for (int i = 0; i < CALIBRATION_RUNS; i++) {
                long start = System.nanoTime();
                model.encode(blank, 1, w);
                millis[i] = (System.nanoTime() - start) / 1e6;
            }
            latencies.calibrate(w.name(), millis);
        }
    }

    /** Picks up a newer commit of the index, if any; a failure is logged and retried at the next tick. */
    private void refresh() {
        try {
            index.refresh();
        } catch (IOException | RuntimeException e) {
            LOG.warn("refreshing the index failed; retrying", e);
        }
    }

    /** Query by image; {@code client} (the caller's address) shares the large-image lane fairly with other clients. */
    public SearchResult search(byte[] image, String client, SubmodelChoice choice, SearchOptions options) {
        long start = System.nanoTime();
        checkOptions(options);
        ImageFilter filter = filter(options);
        Widths widths = resolve(choice);
        EmbeddingCache.Key key = new EmbeddingCache.Key(EmbeddingCache.sha256(image), widths.name());
        float[] embedding = cache.getIfPresent(key);
        boolean cached = embedding != null;
        long encoded = System.nanoTime();
        if (!cached) {
            QueryEncoder.Encoded result = encode(image, client, widths);
            embedding = result.embedding();
            encoded = System.nanoTime();
            double encodeMs = (encoded - start) / 1e6;
            if (result.batchSize() == 1) {
                latencies.record(widths.name(), encodeMs);
            }
            metrics.encoded(widths.name(), encodeMs, result.batchSize());
            cache.put(key, embedding);
        }
        List<Hit> hits = hits(embedding, options, filter);
        long done = System.nanoTime();
        metrics.searched(widths.name(), (done - start) / 1e6);
        Boolean budgetMet = choice.budgetMs() == null ? null
                : latencies.estimate(widths.name()).orElse(Double.POSITIVE_INFINITY) <= choice.budgetMs();
        return new SearchResult(hits, describe(widths), cached, options.exact(), choice.budgetMs(), budgetMet,
                new Timings((encoded - start) / 1e6, (done - encoded) / 1e6, (done - start) / 1e6));
    }

    /** Search with an item's stored full-width vector; the item itself is left out of the hits. */
    public SearchResult similar(String id, SearchOptions options) {
        long start = System.nanoTime();
        checkOptions(options);
        float[] vector = read(() -> index.vector(id)).orElseThrow(() -> ApiException.unknownItem(id));
        SearchOptions oneMore = new SearchOptions(options.k() + 1, options.ef(), options.exact(), options.labels(), options.fields());
        List<Hit> hits = hits(vector, oneMore, filter(options)).stream()
                .filter(h -> !h.id().equals(id)).limit(options.k()).toList();
        long done = System.nanoTime();
        return new SearchResult(hits, describe(model.full()), false, options.exact(), null, null,
                new Timings(0, (done - start) / 1e6, (done - start) / 1e6));
    }

    public Item item(String id) {
        return record(id).map(this::item).orElseThrow(() -> ApiException.unknownItem(id));
    }

    /** The stored image of an item, scaled down to fit {@code maxSide} pixels when given. */
    public StoredImages.Image image(String id, Integer maxSide) {
        ImageRecord entry = record(id).orElseThrow(() -> ApiException.unknownItem(id));
        try {
            return maxSide == null ? images.read(entry.location()) : thumbnails.get(entry.location(), maxSide);
        } catch (IOException e) {
            throw new ApiException(410, "image_unavailable", "the stored image of '" + id + "' cannot be read any more ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    public List<Submodel> submodels() {
        return levels.stream().map(this::describe).toList();
    }

    public List<Reports.Listed> reports() {
        return reports.list();
    }

    public Reports reportsFolder() {
        return reports;
    }

    public Map<String, Object> health() {
        Map<String, Object> health = new LinkedHashMap<>();
        health.put("status", "ok");
        health.put("documents", read(index::size));
        health.put("embeddingDim", model.embeddingDim());
        health.put("modelFingerprint", model.fingerprint());
        health.put("queued", encoder.queued());
        return health;
    }

    public Map<String, Object> metricsSnapshot() {
        var stats = cache.stats();
        Map<String, Object> cacheView = new LinkedHashMap<>();
        cacheView.put("hits", stats.hitCount());
        cacheView.put("misses", stats.missCount());
        cacheView.put("hitRate", stats.requestCount() == 0 ? 0.0 : stats.hitRate());
        cacheView.put("entries", cache.entries());
        cacheView.put("weightBytes", cache.weightBytes());
        cacheView.put("maxBytes", limits.cacheBytes());
        cacheView.put("evictions", stats.evictionCount());
        Map<String, Object> queue = new LinkedHashMap<>();
        queue.put("workers", limits.workers());
        queue.put("active", encoder.active());
        queue.put("queued", encoder.queued());
        queue.put("capacity", limits.queueCapacity());
        queue.put("maxBatch", limits.maxBatch());
        queue.put("largeImagesQueued", largeImages.queued());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("requests", metrics.requests());
        out.put("errors", metrics.errors());
        out.put("encodeLatency", metrics.encodeLatencies());
        out.put("encodeBatchSize", metrics.encodeBatchSizes());
        out.put("searchLatency", metrics.searchLatencies());
        out.put("cache", cacheView);
        out.put("thumbnails", Map.of("decodes", thumbnails.decodes(), "cacheHits", thumbnails.cacheHits(),
                "cacheMisses", thumbnails.cacheMisses(), "queued", thumbnails.queued()));
        out.put("encodeQueue", queue);
        return out;
    }

    Metrics metrics() {
        return metrics;
    }

    ServiceLimits limits() {
        return limits;
    }

    private QueryEncoder.Encoded encode(byte[] image, String client, Widths widths) {
        CompletableFuture<QueryEncoder.Encoded> job;
        try {
            job = LargeImageLane.isLarge(image) ? encoder.submitDecoded(await(largeImages.submit(client, image)), widths)
                    : encoder.submit(image, widths);
        } catch (RejectedExecutionException e) {
            throw new ApiException(503, "queue_full", "the service is busy: " + limits.workers() + " workers and "
                    + limits.queueCapacity() + " queued query images; retry shortly");
        }
        return await(job);
    }

    /** The result of a decode or encode; a bad image is a 422. */
    private static <T> T await(CompletableFuture<T> job) {
        try {
            return job.get();
        } catch (InterruptedException e) {
            job.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", "the search was interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof ImageDecodeException bad) {
                throw new ApiException(422, "bad_image", bad.getMessage());
            }
            throw new IllegalStateException("encoding failed", e.getCause());
        }
    }

    private Widths resolve(SubmodelChoice choice) {
        int given = (choice.level() == null ? 0 : 1) + (choice.widths() == null ? 0 : 1) + (choice.budgetMs() == null ? 0 : 1);
        if (given > 1) {
            throw ApiException.badParameter("give at most one of level, widths and budget_ms");
        }
        try {
            if (choice.level() != null) {
                return trainedLevel(choice.level());
            }
            if (choice.widths() != null) {
                return model.widths(choice.widths());
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.badParameter(e.getMessage());
        }
        if (choice.budgetMs() != null) {
            if (!(choice.budgetMs() > 0) || choice.budgetMs().isInfinite()) {
                throw ApiException.badParameter("budget_ms must be a positive number of milliseconds");
            }
            return latencies.widestWithin(choice.budgetMs(), levels, Widths::name, w -> model.cost(w).gflop())
                    .orElseGet(this::cheapestLevel);
        }
        return model.full();
    }

    private Widths trainedLevel(int level) {
        return levels.stream().filter(w -> w.name().equals("level" + level)).findFirst()
                .orElseThrow(() -> ApiException.badParameter("level " + level + " is not a trained level of this model; the trained levels are "
                        + levels.stream().map(w -> w.name().substring("level".length())).toList()
                        + " (or give per-layer widths)"));
    }

    private Widths cheapestLevel() {
        return levels.stream().min(java.util.Comparator.comparingDouble(w -> model.cost(w).gflop())).orElseThrow();
    }

    private void checkOptions(SearchOptions options) {
        if (options.labels().size() + options.fields().size() > MAX_FILTER_TERMS) {
            throw ApiException.badParameter("at most " + MAX_FILTER_TERMS + " label and field filters together, not "
                    + (options.labels().size() + options.fields().size()));
        }
        if (options.k() < 1 || options.k() > limits.maxK()) {
            throw ApiException.badParameter("k must be between 1 and " + limits.maxK());
        }
        if (options.ef() != null && (options.ef() < options.k() || options.ef() > limits.maxEf())) {
            throw ApiException.badParameter("ef (HNSW search breadth) must be between k (" + options.k() + ") and " + limits.maxEf());
        }
    }

    private static ImageFilter filter(SearchOptions options) {
        return new ImageFilter(options.labels(), options.fields());
    }

    private List<Hit> hits(float[] query, SearchOptions options, ImageFilter filter) {
        List<dev.mmr.indexer.Hit> found = read(() -> options.exact()
                ? index.exactSearch(query, options.k(), filter)
                : index.search(query, options.k(), filter, options.ef() == null ? options.k() : options.ef()));
        List<Hit> hits = new ArrayList<>(found.size());
        for (dev.mmr.indexer.Hit h : found) {
            ImageRecord image = h.image();
            hits.add(new Hit(image.id(), h.similarity(), image.label(), image.fields(), thumbnailUrl(image.id())));
        }
        return hits;
    }

    private Optional<ImageRecord> record(String id) {
        return read(() -> index.get(id));
    }

    /** A store read; the store is the server's own (a local index or its cluster), so a failure here is the server's fault, not the request's. */
    private static <T> T read(IndexRead<T> read) {
        try {
            return read.get();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the index failed", e);
        }
    }

    @FunctionalInterface
    private interface IndexRead<T> {
        T get() throws IOException;
    }

    private Submodel describe(Widths widths) {
        Cost cost = model.cost(widths);
        Double latency = latencies.estimate(widths.name()).isPresent() ? latencies.estimate(widths.name()).getAsDouble() : null;
        return new Submodel(widths.name(), widths.perLayer(), cost.params(), cost.gflop(), latency, reports.qualityOf(widths.perLayer()));
    }

    private Item item(ImageRecord image) {
        return new Item(image.id(), image.label(), image.fields(), imageUrl(image.id()), thumbnailUrl(image.id()));
    }

    static String imageUrl(String id) {
        return "/api/items/" + urlPath(id) + "/image";
    }

    static String thumbnailUrl(String id) {
        return imageUrl(id) + "?size=" + StoredImages.THUMBNAIL_SIDE;
    }

    private static String urlPath(String id) {
        StringBuilder out = new StringBuilder();
        for (String part : id.split("/", -1)) {
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(java.net.URLEncoder.encode(part, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return out.toString();
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        encoder.close();
        largeImages.close();
        thumbnails.close();
    }

}
