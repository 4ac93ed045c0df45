package dev.mmr.app.eval;

import dev.mmr.app.MmrCommand;
import dev.mmr.app.encoder.EncoderOptions;
import dev.mmr.eval.BaselineModel;
import dev.mmr.eval.EmbeddingCache;
import dev.mmr.eval.Evaluation;
import dev.mmr.eval.ImageCorpora;
import dev.mmr.eval.Report;
import dev.mmr.eval.ReportRow;
import dev.mmr.eval.ReportWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Quantization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code bin/mmr eval}: runs the adaptive-retrieval protocol and writes a report folder. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Adaptive retrieval: encode the database once with the full model and the queries with every nested "
                + "and Mix'n'Match submodel (each baseline against the largest baseline's database); write report.json, CSVs, "
                + "accuracy-vs-GFLOP plots (SVG, PNG) and index.html into --out. Embeddings are cached, so reruns skip encoding.")
public final class EvalCommand implements Callable<Integer>, MmrCommand {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The nested model (config.json + weights).")
    Path model;

    @Option(names = "--baseline", paramLabel = "DIR[@LEVEL]",
            description = "An independently trained model (repeatable); its level comes from @LEVEL or a directory name ending in -l<LEVEL>.")
    List<String> baselines = new ArrayList<>();

    @Option(names = "--mix", paramLabel = "W,W,...",
            description = "Also query with this Mix'n'Match submodel of the nested model (repeatable): one width per layer, "
                    + "the first layer's first, e.g. 256,168,112,72,48,32; its row is mix-<widths>.")
    List<String> mixes = new ArrayList<>();

    @Option(names = "--database", required = true, paramLabel = "SRC",
            description = "The database images: an ImageFolder tree, a .tar/.tar.gz/.tar.xz of one, or a labelled .csv/.jsonl manifest.")
    Path database;

    @Option(names = "--database-under", paramLabel = "FOLDER", description = "Only the subtree under this folder of --database (e.g. train).")
    String databaseUnder;

    @Option(names = "--queries", required = true, paramLabel = "SRC", description = "The query images, in the same forms as --database.")
    Path queries;

    @Option(names = "--queries-under", paramLabel = "FOLDER", description = "Only the subtree under this folder of --queries (e.g. test).")
    String queriesUnder;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the report is written.")
    Path out;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
            description = "Use only N images of each source, spread evenly over it so every class stays (0: all; default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--cache", paramLabel = "DIR", description = "Embedding cache (default: ~/.cache/mmr/embeddings).")
    Path cache = Path.of(System.getProperty("user.home"), ".cache", "mmr", "embeddings");

    @Option(names = "--batch", paramLabel = "N", defaultValue = "0", description = "Images per encoder call (default: the device's preferred batch).")
    int batch;

    @Mixin
    EncoderOptions encoder;

    @Option(names = "--hnsw-candidates", paramLabel = "N", defaultValue = "100",
            description = "HNSW candidates explored per query for the recall figure (default ${DEFAULT-VALUE}).")
    int hnswCandidates;

    @Option(names = "--hnsw-quantization", paramLabel = "Q", defaultValue = "none",
            description = "Graph vectors of that HNSW index, as the indexer offers them: none, int7, int4 or binary (default ${DEFAULT-VALUE}).")
    String quantization;

    @Override
    public Integer call() throws Exception {
        if (limit < 0 || batch < 0 || hnswCandidates < Evaluation.K) {
            throw new ParameterException(spec.commandLine(),
                    "--limit must be >= 0, --batch >= 1 (or 0: the device's) and --hnsw-candidates >= " + Evaluation.K);
        }
        List<int[]> mixWidths = parseMixes();
        List<BaselineModel> parsed = baselines.stream().map(BaselineModel::parse).toList();
        for (Path dir : Stream.concat(Stream.of(model), parsed.stream().map(BaselineModel::dir)).toList()) {
            if (!Files.isRegularFile(dir.resolve("config.json"))) {
                throw new IOException("not a model directory (no config.json): " + dir);
            }
        }
        Evaluation.Settings settings = new Evaluation.Settings(model, parsed, mixWidths, ImageCorpora.open(database, databaseUnder),
                ImageCorpora.open(queries, queriesUnder), limit, new EmbeddingCache(cache), batch,
                new IndexSettings(IndexSettings.DEFAULT.maxConnections(), IndexSettings.DEFAULT.beamWidth(), Quantization.parse(quantization)),
                hnswCandidates, encoder.device(), encoder.precision());
        Report report = new Evaluation(settings).run();
        System.out.println(summary(report));
        List<Path> files = ReportWriter.write(report, out);
        System.out.println("report: " + out.resolve(ReportWriter.HTML) + " (" + files.size() + " files)");
        return 0;
    }

    private List<int[]> parseMixes() {
        List<int[]> parsed = new ArrayList<>();
        for (String mix : mixes) {
            try {
                parsed.add(Arrays.stream(mix.split(",", -1)).mapToInt(w -> Integer.parseInt(w.strip())).toArray());
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--mix " + mix + ": one whole-number width per layer, separated by commas");
            }
        }
        return parsed;
    }

    static String summary(Report report) {
        StringBuilder table = new StringBuilder(String.format(java.util.Locale.ROOT, "%-24s %-10s %9s %9s %8s %9s %9s %10s%n",
                "name", "kind", "GFLOP", "1-NN %", "mAP@10", "head %", "recall10", "images/s"));
        for (ReportRow r : report.rows()) {
            table.append(String.format(java.util.Locale.ROOT, "%-24s %-10s %9.4f %9.2f %8.4f %9s %9.4f %10.1f%n", r.name(), r.kind(),
                    r.gflop(), 100 * r.top1Nn(), r.map10(), r.headTop1() == null ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", 100 * r.headTop1()),
                    r.recall10Hnsw(), r.imagesPerSecond()));
        }
        return table.toString();
    }
}
