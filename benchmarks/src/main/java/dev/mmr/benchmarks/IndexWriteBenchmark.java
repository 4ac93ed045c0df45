package dev.mmr.benchmarks;

import dev.mmr.encoder.Device;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Precision;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The index writer's HNSW work, seconds per run (one shot each): {@code insert} puts {@code images} random unit
 * vectors of the model's dimension through {@link ImageIndexWriter#put} in batches of 256 into a new index and
 * commits; {@code forceMerge} merges ten committed segments of {@code images / 10} vectors (written on one thread)
 * into one and commits. Both with {@code threads} write threads (and merge workers). The model (default
 * {@code models/cifar10}, 256 dimensions, from the working directory) only names the index's identity; nothing is
 * encoded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(1)
public class IndexWriteBenchmark {
    private static final int BATCH = 256;
    private static final int MERGED_SEGMENTS = 10;

    @Param({"1", "2"})
    public int threads;

    @Param({"50000"})
    public int images;

    @Param({"models/cifar10"})
    public String model;

    private MatMambaModel loaded;
    private List<ImageEntry> entries;
    private List<float[]> vectors;

    @Setup(Level.Trial)
    public void vectors() throws Exception {
        loaded = MatMambaModel.load(Path.of(model), Device.CPU, Precision.FP32);
        SplittableRandom random = new SplittableRandom(3);
        entries = new ArrayList<>(images);
        vectors = new ArrayList<>(images);
        for (int i = 0; i < images; i++) {
            float[] v = new float[loaded.embeddingDim()];
            double norm = 0;
            for (int d = 0; d < v.length; d++) {
                v[d] = (float) random.nextGaussian();
                norm += (double) v[d] * v[d];
            }
            for (int d = 0; d < v.length; d++) v[d] /= (float) Math.sqrt(norm);
            entries.add(new ImageEntry("img-" + i, new ImageLocation.File(Path.of("img-" + i + ".jpg")), null, Map.of()));
            vectors.add(v);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        loaded.close();
    }

    /** A new folder per iteration, deleted after it. */
    @State(Scope.Benchmark)
    public static class Folder {
        Path dir;

        @Setup(Level.Iteration)
        public void create() throws IOException {
            dir = Files.createTempDirectory("mmr-index-write");
        }

        @TearDown(Level.Iteration)
        public void delete() throws IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
            }
        }
    }

    /** A folder holding the index {@link #forceMerge} merges: one commit per segment, written on one thread. */
    @State(Scope.Benchmark)
    public static class Segmented {
        final Folder folder = new Folder();

        @Setup(Level.Iteration)
        public void write(IndexWriteBenchmark benchmark) throws IOException {
            folder.create();
            try (ImageIndexWriter writer = ImageIndexWriter.open(folder.dir, benchmark.loaded, IndexSettings.DEFAULT, 1)) {
                int size = benchmark.images / MERGED_SEGMENTS;
                for (int s = 0; s < MERGED_SEGMENTS; s++) {
                    benchmark.put(writer, s * size, (s + 1) * size);
                    writer.commit(Map.of());
                }
            }
        }

        @TearDown(Level.Iteration)
        public void delete() throws IOException {
            folder.delete();
        }
    }

    /** Puts images {@code from} to {@code to} in batches. */
    private void put(ImageIndexWriter writer, int from, int to) throws IOException {
        for (int b = from; b < to; b += BATCH) {
            int end = Math.min(b + BATCH, to);
            writer.put(entries.subList(b, end), vectors.subList(b, end));
        }
    }

    @Benchmark
    public void insert(Folder folder) throws IOException {
        try (ImageIndexWriter writer = ImageIndexWriter.open(folder.dir, loaded, IndexSettings.DEFAULT, threads)) {
            put(writer, 0, images);
            writer.commit(Map.of());
        }
    }

    @Benchmark
    public void forceMerge(Segmented index) throws IOException {
        try (ImageIndexWriter writer = ImageIndexWriter.open(index.folder.dir, loaded, IndexSettings.DEFAULT, threads)) {
            writer.forceMerge(1);
            writer.commit(Map.of());
        }
    }
}
