package dev.mmr.eval;

import dev.mmr.encoder.Cost;
import dev.mmr.encoder.Device;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.Widths;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The adaptive-retrieval protocol: the database encoded once by the full model, the queries by every
 * submodel of {@link SubmodelSweep}; each baseline model's queries against the database of the
 * largest baseline. Per query encoder: 1-NN top-1 and mAP@10 by exact search, the classifier head's
 * top-1, the recall@10 of a Lucene HNSW index against exact search, parameters, GFLOP, images/s.
 */
public final class Evaluation {
    public static final int K = 10;

    /**
     * What to measure and where; {@code mixes} are Mix'n'Match width lists queried beside {@link SubmodelSweep}'s own;
     * {@code limit} 0 means every image, {@code batchSize} 0 the encoder device's preferred batch; every model runs on
     * {@code device} at {@code precision}.
     */
    public record Settings(Path modelDir, List<BaselineModel> baselines, List<int[]> mixes, ImageCorpus database, ImageCorpus queries,
                           int limit, EmbeddingCache cache, int batchSize, IndexSettings hnsw, int hnswCandidates,
                           Device device, Precision precision) {
    }

    private final Settings settings;
    /** Images per encoder call: the settings' batch, or the device's preferred one. */
    private int batchSize;

    public Evaluation(Settings settings) {
        this.settings = settings;
    }

    public Report run() throws IOException {
        List<ReportRow> rows = new ArrayList<>();
        Map<String, Object> modelInfo;
        Embeddings database;
        Embeddings queriesFull;
        try (MatMambaModel model = load(settings.modelDir())) {
            batchSize = settings.batchSize() > 0 ? settings.batchSize() : model.preferredBatch();
            modelInfo = describe(settings.modelDir(), model);
            List<Submodel> submodels = SubmodelSweep.of(model, settings.mixes());
            database = encode(model, List.of(model.full()), settings.database(), "database").get(model.full().name());
            Map<String, Embeddings> queries = encode(model, submodels.stream().map(Submodel::widths).toList(), settings.queries(), "queries");
            queriesFull = queries.get(model.full().name());
            List<Measured> measured = new ArrayList<>();
            for (Submodel s : submodels) {
                measured.add(new Measured(s, model.cost(s.widths()), queries.get(s.widths().name()), model.config().nClasses()));
            }
            rows.addAll(measure(model, database, measured, "nested model"));
        }
        List<Map<String, Object>> baselineInfo = new ArrayList<>();
        if (!settings.baselines().isEmpty()) {
            rows.addAll(measureBaselines(baselineInfo));
        }
        Map<String, Object> databaseInfo = corpusInfo(settings.database(), database);
        databaseInfo.put("classes", classes(database).size());
        return new Report("Adaptive retrieval: " + settings.modelDir().normalize().getFileName(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), modelInfo, baselineInfo, databaseInfo,
                corpusInfo(settings.queries(), queriesFull), protocol(), rows);
    }

    /** A query encoder with its cost and the query embeddings it made. */
    private record Measured(Submodel submodel, Cost cost, Embeddings queries, int headClasses) {
    }

    private List<ReportRow> measureBaselines(List<Map<String, Object>> info) throws IOException {
        List<BaselineModel> ordered = settings.baselines().stream().sorted(Comparator.comparingInt(BaselineModel::level)).toList();
        BaselineModel largest = ordered.get(0);
        try (MatMambaModel databaseModel = load(largest.dir())) {
            Widths databaseWidths = databaseModel.level(largest.level());
            Embeddings database = encode(databaseModel, List.of(databaseWidths), settings.database(), "baseline database")
                    .get(databaseWidths.name());
            List<Measured> measured = new ArrayList<>();
            for (BaselineModel baseline : ordered) {
                try (MatMambaModel model = load(baseline.dir())) {
                    Widths widths = model.level(baseline.level());
                    Map<String, Object> described = describe(baseline.dir(), model);
                    described.put("level", baseline.level());
                    info.add(described);
                    Embeddings queries = encode(model, List.of(widths), settings.queries(), "baseline queries").get(widths.name());
                    Submodel submodel = new Submodel(baseline.rowName(), Submodel.Kind.BASELINE, widths);
                    measured.add(new Measured(submodel, model.cost(widths), queries, model.config().nClasses()));
                }
            }
            return measure(databaseModel, database, measured, "baseline database");
        }
    }

    /** Exact and HNSW search of every query set against one database, and the rows of figures. */
    private List<ReportRow> measure(MatMambaModel databaseModel, Embeddings database, List<Measured> encoders, String what)
            throws IOException {
        if (database.size() == 0 || encoders.get(0).queries().size() == 0) {
            throw new IOException("no readable images in the " + (database.size() == 0 ? "database" : "queries")
                    + " (every one was skipped as undecodable)");
        }
        List<String> classes = classes(database);
        int[] databaseLabels = labelIndices(database, classes);
        int dim = database.dim();
        Path hnswDir = Files.createTempDirectory("mmr-eval-hnsw").resolve("index");
        List<ReportRow> rows = new ArrayList<>();
        try (HnswIndex hnsw = HnswIndex.build(database, databaseModel, settings.hnsw(), hnswDir,
                Progress.start("HNSW index of the " + what, " vectors", database.size()))) {
            Progress progress = Progress.start("search " + what, " queries", (long) encoders.size() * encoders.get(0).queries().size());
            for (Measured m : encoders) {
                Embeddings queries = m.queries();
                int[] queryLabels = labelIndices(queries, classes);
                Neighbours exact = ExactSearch.search(database.vectors(), queries.vectors(), dim, K);
                Neighbours approximate = hnsw.search(queries.vectors(), dim, K, settings.hnswCandidates());
                Double head = m.headClasses() == classes.size() ? RetrievalMetrics.accuracy(queries.predictedClass(), queryLabels) : null;
                rows.add(new ReportRow(m.submodel().name(), m.submodel().kind().label(), m.submodel().widths().perLayer(),
                        m.cost().params(), m.cost().gflop(),
                        RetrievalMetrics.top1(exact, databaseLabels, queryLabels),
                        RetrievalMetrics.meanAveragePrecision(exact, databaseLabels, queryLabels, K),
                        head, RetrievalMetrics.recall(exact, approximate, K), queries.imagesPerSecond()));
                progress.advance(queries.size());
            }
            progress.close();
        } finally {
            deleteTree(hnswDir.getParent());
        }
        return rows;
    }

    /** Embeddings of a corpus by each of {@code widths}, from the cache where present, encoding the rest in one read. */
    private Map<String, Embeddings> encode(MatMambaModel model, List<Widths> widths, ImageCorpus corpus, String what) throws IOException {
        Map<String, Embeddings> out = new LinkedHashMap<>();
        List<Widths> missing = new ArrayList<>();
        for (Widths w : widths) {
            settings.cache().get(key(model, w, corpus)).ifPresentOrElse(e -> out.put(w.name(), e), () -> missing.add(w));
        }
        if (!missing.isEmpty()) {
            int total = settings.limit() > 0 ? Math.min(settings.limit(), corpus.size()) : corpus.size();
            String stage = "encode " + what + " (" + missing.size() + (missing.size() == 1 ? " submodel)" : " submodels)");
            Map<String, Embeddings> encoded = new EmbeddingPass(model, batchSize)
                    .run(missing, corpus, settings.limit(), Progress.start(stage, " images", total));
            for (Widths w : missing) {
                settings.cache().put(key(model, w, corpus), encoded.get(w.name()));
                out.put(w.name(), encoded.get(w.name()));
            }
        }
        return out;
    }

    private MatMambaModel load(Path modelDir) throws IOException {
        return MatMambaModel.load(modelDir, settings.device(), settings.precision());
    }

    private String key(MatMambaModel model, Widths widths, ImageCorpus corpus) {
        return EmbeddingCache.key(model.fingerprint(), ReportWriter.widths(widths.perLayer()), corpus.identity(), settings.limit());
    }

    /** Class names in sorted order, as ImageFolder numbers them, so index i is the classifier's class i. */
    static List<String> classes(Embeddings database) {
        return List.copyOf(new TreeSet<>(database.labels()));
    }

    /** Each image's class index; -1 for a label the database lacks (it can never match). */
    static int[] labelIndices(Embeddings embeddings, List<String> classes) {
        return embeddings.labels().stream().mapToInt(label -> Math.max(-1, Collections.binarySearch(classes, label))).toArray();
    }

    private static Map<String, Object> describe(Path dir, MatMambaModel model) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("dir", dir.toString());
        info.put("fingerprint", model.fingerprint());
        info.put("d_model", model.config().dModel());
        info.put("n_layer", model.config().nLayer());
        info.put("image_size", model.config().imageSize());
        info.put("patch_size", model.config().patchSize());
        return info;
    }

    private Map<String, Object> corpusInfo(ImageCorpus corpus, Embeddings embeddings) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("source", corpus.identity());
        info.put("images", embeddings.size());
        info.put("skipped", embeddings.skipped());
        return info;
    }

    private Map<String, Object> protocol() {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("k", K);
        info.put("search", "exact: dot product of L2-normalised embeddings (cosine), blocked matrix products; ties to the lower database row");
        info.put("map_definition", Report.MAP_DEFINITION);
        info.put("hnsw", "the indexer's Lucene HNSW index (max connections " + settings.hnsw().maxConnections() + ", beam width "
                + settings.hnsw().beamWidth() + ", quantization " + settings.hnsw().quantization().key()
                + ", dot product, exact rescoring of candidates); " + settings.hnswCandidates() + " candidates per query");
        info.put("images_per_s", "encoder only (preprocessed batches of " + batchSize + "), this machine, "
                + Runtime.getRuntime().availableProcessors() + " cores");
        info.put("limit", settings.limit());
        return info;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
