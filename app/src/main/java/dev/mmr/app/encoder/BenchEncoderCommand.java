package dev.mmr.app.encoder;

import dev.mmr.app.MmrCommand;
import dev.mmr.encoder.BackendChoice;
import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.Cost;
import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Widths;
import dev.mmr.encoder.cpu.CpuBackendProvider;
import dev.mmr.encoder.cpu.MatmulPeak;
import dev.mmr.encoder.cpu.ScanStepBenchmark;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Encoder throughput per width on the released MatMamba-Vision shapes with random weights, next to the
 * machine's own float32 matrix-multiply rate measured in the same run on the model's projection shapes.
 */
@Command(name = "bench-encoder", mixinStandardHelpOptions = true,
        description = {"Measures encoder images/s per width for the 35M and 135M shapes and a CIFAR-10 shape (random weights) and, in the same run,",
                "this machine's float32 matmul GFLOP/s (ND4J gemm on the model's in_proj/out_proj shapes), measured right before",
                "each row. Each row shows the matmul work it sustains as a fraction of that rate. Times are the best of the timed runs.",
                "The reference rate and the scan comparison are the cpu device's; other devices print their rows alone."})
public final class BenchEncoderCommand implements Callable<Integer>, MmrCommand {
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

    @Mixin
    EncoderOptions encoder;

    private BackendChoice device;

    @Override public Integer call() {
        try {
            device = BackendChoice.choose(encoder.device());
            System.out.printf("device: %s; %d cores; best of %d timed runs after %d warm-up%n",
                    device.describe(), Runtime.getRuntime().availableProcessors(), iterations, warmup);
            for (String name : shapes) {
                benchShape(name, BenchmarkModels.shape(name, layers, imageSize));
            }
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("bench-encoder: " + e.getMessage());
            return 1;
        }
    }

    private void benchShape(String name, ModelConfig config) {
        boolean cpu = device.provider().device().equals(CpuBackendProvider.DEVICE);
        if (cpu) {
            ScanStepBenchmark.Result scan = ScanStepBenchmark.run(config.nHeads(), config.nTokens(), config.headdim(), config.dState(), 20);
            System.out.printf("%n%s selective scan, one image-layer at full width: Java Vector API recurrence %.2f ms;"
                    + " ND4J quadratic form, exp + batched matmul alone, %.2f ms%n", name, scan.javaScanMs(), scan.nd4jQuadraticLowerBoundMs());
        }
        int peakBatch = batches.stream().max(Integer::compare).orElseThrow();
        System.out.printf("%n%s shape: d_model %d, %d layers, d_state %d, %dpx patch %d (%d tokens)%n", name, config.dModel(),
                config.nLayer(), config.dState(), config.imageSize(), config.patchSize(), config.nTokens());
        if (cpu) {
            System.out.printf("matmul GFLOP/s: ND4J float32 gemm on this shape's full-width in_proj + out_proj products at batch %d,"
                    + " measured right before each row (best of %d)%n", peakBatch, PEAK_RUNS);
        }
        System.out.printf("%-6s %5s %-7s %9s %10s %9s %9s %9s %8s %9s%n",
                "shape", "batch", "width", "GFLOP/im", "ms/batch", "images/s", "GFLOP/s", "matmul", "of it", "vs lvl1");
        try (EncoderBackend network = device.provider().open(config, BenchmarkModels.randomWeights(config), encoder.precision())) {
            System.out.println("backend: " + network.description());
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
                    double peak = cpu ? MatmulPeak.matmulGflops(config, peakBatch, PEAK_RUNS) : Double.NaN;
                    double seconds = bestSeconds(() -> network.forward(pixels, batch, perLayer));
                    double rate = batch / seconds;
                    firstRate = firstRate == 0 ? rate : firstRate;
                    System.out.printf("%-6s %5d %-7s %9.2f %10.1f %9.2f %9.1f %9.1f %7.0f%% %8.2fx%n", name, batch, "level" + level,
                            gflop, seconds * 1e3, rate, rate * gflop, peak, 100 * rate * gflop / peak, rate / firstRate);
                }
            }
        }
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
}
