package dev.mmr.app.encoder;

import dev.mmr.app.MmrCommand;
import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.Cost;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Widths;
import dev.mmr.encoder.nn.MatMambaNetwork;
import dev.mmr.encoder.nn.NetworkShape;
import dev.mmr.encoder.nn.ScanStepBenchmark;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ForkJoinPool;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Encoder throughput per width on the released MatMamba-Vision shapes with random weights, next to the
 * machine's own float32 matrix-multiply rate measured in the same run on the model's projection shapes.
 */
@Command(name = "bench-encoder", mixinStandardHelpOptions = true,
        description = {"Measures encoder images/s per width for the 35M and 135M shapes and a CIFAR-10 shape (random weights) and, in the same run,",
                "this machine's float32 matmul GFLOP/s (ND4J gemm on the model's in_proj/out_proj shapes), measured right before",
                "each row. Each row shows the matmul work it sustains as a fraction of that rate. Times are the best of the timed runs."})
public final class BenchEncoderCommand implements Runnable, MmrCommand {
    /** Timed runs of the reference gemm pair before each row (after one untimed run). */
    private static final int PEAK_RUNS = 3;

    @Option(names = "--shapes", split = ",", defaultValue = "35M,135M", description = "shapes to run: 35M (d_model 512, 224px),"
            + " 135M (d_model 1024, 224px), cifar (d_model 256, 6 layers, d_state 64, 32px patch 4); default ${DEFAULT-VALUE}")
    List<String> shapes;

    @Option(names = "--batches", split = ",", defaultValue = "1,16", description = "batch sizes; default ${DEFAULT-VALUE}")
    List<Integer> batches;

    @Option(names = "--levels", split = ",", defaultValue = "1,2,4,8", description = "uniform levels; default ${DEFAULT-VALUE}")
    List<Integer> levels;

    @Option(names = "--image-size", description = "input side in pixels (a multiple of the patch); default: the shape's (224, cifar 32)")
    Integer imageSize;

    @Option(names = "--layers", description = "Mamba blocks; default: the shape's (20, cifar 6)")
    Integer layers;

    @Option(names = "--warmup", defaultValue = "1", description = "untimed runs per row; default ${DEFAULT-VALUE}")
    int warmup;

    @Option(names = "--iterations", defaultValue = "3", description = "timed runs per row; default ${DEFAULT-VALUE}")
    int iterations;

    @Override public void run() {
        System.out.printf("threads: %d (ND4J/OpenBLAS %d, Java kernels %d); best of %d timed runs after %d warm-up%n",
                Runtime.getRuntime().availableProcessors(), Nd4j.getEnvironment().maxThreads(),
                ForkJoinPool.getCommonPoolParallelism() + 1, iterations, warmup);
        for (String name : shapes) {
            ModelConfig config = switch (name) {
                case "35M" -> new ModelConfig(512, or(layers, 20), 1000, 16, or(imageSize, 224), 128, 4, 2, 1e-5);
                case "135M" -> new ModelConfig(1024, or(layers, 20), 1000, 16, or(imageSize, 224), 128, 4, 2, 1e-5);
                case "cifar" -> new ModelConfig(256, or(layers, 6), 10, 4, or(imageSize, 32), 64, 4, 2, 1e-5);
                default -> throw new IllegalArgumentException("unknown shape " + name + " (known: 35M, 135M, cifar)");
            };
            benchShape(name, config);
        }
    }

    private static int or(Integer option, int shapeDefault) {
        return option == null ? shapeDefault : option;
    }

    private void benchShape(String name, ModelConfig config) {
        ScanStepBenchmark.Result scan = ScanStepBenchmark.run(config.nHeads(), config.nTokens(), config.headdim(), config.dState(), 20);
        System.out.printf("%n%s selective scan, one image-layer at full width: Java Vector API recurrence %.2f ms;"
                + " ND4J quadratic form, exp + batched matmul alone, %.2f ms%n", name, scan.javaScanMs(), scan.nd4jQuadraticLowerBoundMs());
        int peakBatch = batches.stream().max(Integer::compare).orElseThrow();
        System.out.printf("%n%s shape: d_model %d, %d layers, d_state %d, %dpx patch %d (%d tokens)%n", name, config.dModel(),
                config.nLayer(), config.dState(), config.imageSize(), config.patchSize(), config.nTokens());
        System.out.printf("matmul GFLOP/s: ND4J float32 gemm on this shape's full-width in_proj + out_proj products at batch %d,"
                + " measured right before each row (best of %d)%n", peakBatch, PEAK_RUNS);
        System.out.printf("%-6s %5s %-7s %9s %10s %9s %9s %9s %8s %9s%n",
                "shape", "batch", "width", "GFLOP/im", "ms/batch", "images/s", "GFLOP/s", "matmul", "of it", "vs lvl1");
        try (MatMambaNetwork network = new MatMambaNetwork(NetworkShape.of(config), randomWeights(config))) {
            for (int batch : batches) {
                float[] pixels = new float[batch * 3 * config.imageSize() * config.imageSize()];
                SplittableRandom random = new SplittableRandom(7);
                for (int i = 0; i < pixels.length; i++) {
                    pixels[i] = (float) random.nextGaussian();
                }
                double firstRate = 0;
                for (int level : levels) {
                    int[] perLayer = new int[config.nLayer()];
                    Arrays.fill(perLayer, config.dModel() / level);
                    double gflop = Cost.of(config, new Widths(perLayer, "level" + level)).gflop();
                    double peak = matmulGflops(config, peakBatch);
                    double seconds = bestSeconds(() -> network.forward(pixels, batch, perLayer));
                    double rate = batch / seconds;
                    firstRate = firstRate == 0 ? rate : firstRate;
                    System.out.printf("%-6s %5d %-7s %9.2f %10.1f %9.2f %9.1f %9.1f %7.0f%% %8.2fx%n", name, batch, "level" + level,
                            gflop, seconds * 1e3, rate, rate * gflop, peak, 100 * rate * gflop / peak, rate / firstRate);
                }
            }
        }
    }

    /** Best float32 gemm rate over the model's full-width in_proj and out_proj products at {@code batch} images. */
    private double matmulGflops(ModelConfig c, int batch) {
        long rows = (long) batch * c.nTokens();
        long d = c.dModel();
        long inRows = 2L * c.dInner() + 2L * c.dState() + c.nHeads();
        INDArray u = Nd4j.rand(DataType.FLOAT, rows, d);
        INDArray inProj = Nd4j.rand(DataType.FLOAT, inRows, d);
        INDArray y = Nd4j.rand(DataType.FLOAT, rows, c.dInner());
        INDArray outProjT = Nd4j.rand(DataType.FLOAT, c.dInner(), d);
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, inRows);
        INDArray b = Nd4j.createUninitialized(DataType.FLOAT, rows, d);
        double flop = 2.0 * rows * d * (inRows + c.dInner());
        long best = Long.MAX_VALUE;
        for (int i = 0; i <= PEAK_RUNS; i++) {
            long start = System.nanoTime();
            Nd4j.gemm(u, inProj, a, false, true, 1.0, 0.0);
            Nd4j.gemm(y, outProjT, b, false, false, 1.0, 0.0);
            best = i == 0 ? best : Math.min(best, System.nanoTime() - start);
        }
        double seconds = best / 1e9;
        for (INDArray x : List.of(u, inProj, y, outProjT, a, b)) {
            x.close();
        }
        return flop / seconds / 1e9;
    }

    private double bestSeconds(Runnable work) {
        for (int i = 0; i < warmup; i++) {
            work.run();
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < Math.max(1, iterations); i++) {
            long start = System.nanoTime();
            work.run();
            best = Math.min(best, System.nanoTime() - start);
        }
        return best / 1e9;
    }

    /** Random weights of the right shapes and a plausible scale (unit norms, decays spread like the authors' initialisation). */
    private static MatMambaNetwork.WeightSource randomWeights(ModelConfig c) {
        Map<String, long[]> shapes = Checkpoint.expectedShapes(c);
        SplittableRandom random = new SplittableRandom(42);
        return name -> {
            long[] shape = shapes.get(name);
            float[] data = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact))];
            if (name.endsWith("norm.weight") || name.endsWith("norm_f.weight") || name.endsWith(".D")) {
                Arrays.fill(data, 1f);
            } else if (name.endsWith("A_log")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) Math.log(1 + 15 * random.nextDouble());
                }
            } else if (!name.endsWith("bias")) {
                float scale = (float) (1 / Math.sqrt(shape[shape.length - 1] * (shape.length > 2 ? shape[1] : 1)));
                for (int i = 0; i < data.length; i++) {
                    data[i] = scale * (float) random.nextGaussian();
                }
            }
            return data;
        };
    }
}
