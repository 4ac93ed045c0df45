package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.Cost;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import dev.mmr.encoder.Widths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.SizeTPointer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * GPU encoder throughput on the released shapes with random weights: images/s per shape, precision and level, the
 * matrix-multiply work that sustains as a fraction of the GPU's dense peak, and device memory per batch; written as a
 * table and as JSON rows {shape, precision, level, batch, img_per_s}.
 */
@Command(name = "bench-gpu", mixinStandardHelpOptions = true,
        description = {"Measures the cuda backend's images/s for the 35M and 135M shapes (random weights), 224px, per precision and level.",
                "Throughput (the JSON's img_per_s) runs backend.concurrency() threads of whole batches (pixels copied in, features and",
                "logits copied out); each row also gives the device-only rate of one call (the sum of its kernels' and products' times);",
                "latency is the best single call. Peak fractions count matrix-multiply work only (Cost), against the datasheet dense peak."})
public final class CudaBenchmark implements Callable<Integer> {
    /** Dense datasheet peaks of the H100/H200 SXM, TFLOP/s, by precision. */
    private static final Map<Precision, Double> HOPPER_SXM_PEAK = Map.of(Precision.FP32, 66.9, Precision.TF32, 494.7,
            Precision.BF16, 989.4);

    @Option(names = "--shapes", split = ",", defaultValue = "35M,135M", description = "35M and/or 135M; default ${DEFAULT-VALUE}")
    List<String> shapes;

    @Option(names = "--precisions", split = ",", defaultValue = "fp32,tf32,bf16", description = "default ${DEFAULT-VALUE}")
    List<String> precisions;

    @Option(names = "--levels", split = ",", defaultValue = "1,2,4,8", description = "uniform levels; default ${DEFAULT-VALUE}")
    List<Integer> levels;

    @Option(names = "--batch", defaultValue = "256", description = "images per call; default ${DEFAULT-VALUE}")
    int batch;

    @Option(names = "--batches", defaultValue = "4", description = "timed batches per thread; default ${DEFAULT-VALUE}")
    int batches;

    @Option(names = "--peak-tflops", description = "dense peak of this GPU in the run's precision, TFLOP/s; default: the H100/H200 SXM datasheet")
    Double peakTflops;

    @Option(names = "--json", defaultValue = "reports/gpu/bench-h200.json", description = "where the rows go; default ${DEFAULT-VALUE}")
    Path json;

    public static void main(String[] args) {
        System.exit(new CommandLine(new CudaBenchmark()).execute(args));
    }

    @Override public Integer call() throws Exception {
        if (CudaDevice.unavailableReason().isPresent()) {
            System.err.println("bench-gpu: no usable GPU: " + CudaDevice.unavailableReason().get());
            return 2;
        }
        CudaDevice device = CudaDevice.get();
        System.out.println("device: " + device.describe());
        System.out.printf("%-5s %-5s %-7s %5s %9s %10s %11s %9s %7s %10s %10s%n", "shape", "prec", "width", "batch", "GFLOP/im",
                "images/s", "ms (1 call)", "TFLOP/s", "of peak", "workspace", "GPU used");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String shape : shapes) {
            ModelConfig config = BenchmarkModels.shape(shape, null, null);
            WeightSource weights = BenchmarkModels.randomWeights(config);
            float[] pixels = randomPixels(batch * 3 * config.imageSize() * config.imageSize());
            for (String name : precisions) {
                Precision precision = Precision.valueOf(name.toUpperCase(Locale.ROOT));
                long freeBefore = freeDeviceBytes();
                try (CudaBackend backend = new CudaBackend(config, weights, precision)) {
                    System.out.printf("%s %s: weights on the device %.2f GB; %s%n", shape, name, backend.weightBytes() / 1e9,
                            backend.description());
                    for (int level : levels) {
                        int[] widths = new int[config.nLayer()];
                        Arrays.fill(widths, config.dModel() / level);
                        double gflop = Cost.of(config, new Widths(widths, "level" + level)).gflop();
                        double latency = bestCall(backend, pixels, widths);
                        long used = freeBefore - freeDeviceBytes();
                        double rate = throughput(backend, pixels, widths);
                        double tflops = rate * gflop / 1e3;
                        Double peak = peakTflops != null ? peakTflops
                                : device.name().matches(".*H[12]00.*") ? HOPPER_SXM_PEAK.get(precision) : null;
                        System.out.printf("%-5s %-5s %-7s %5d %9.2f %10.0f %11.1f %9.1f %7s %8.2fGB %8.2fGB%n", shape, name,
                                "level" + level, batch, gflop, rate, latency * 1e3, tflops,
                                peak == null ? "n/a" : String.format("%.1f%%", 100 * tflops / peak),
                                backend.workspaceBytes(batch) / 1e9, used / 1e9);
                        Map<String, Double> stepMillis = backend.profile(pixels, batch, widths);
                        double deviceMillis = stepMillis.values().stream().mapToDouble(Double::doubleValue).sum();
                        System.out.printf("      on the device alone (no copies): %.0f images/s; ms per step, one call: %s%n",
                                batch / (deviceMillis / 1e3), steps(stepMillis));
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("shape", shape);
                        row.put("precision", name);
                        row.put("level", level);
                        row.put("batch", batch);
                        row.put("img_per_s", Math.round(rate));
                        rows.add(row);
                    }
                }
            }
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("device", device.describe());
        report.put("command", "java dev.mmr.cuda.CudaBenchmark --shapes " + String.join(",", shapes) + " --precisions "
                + String.join(",", precisions) + " --batch " + batch + " --batches " + batches);
        report.put("rows", rows);
        Path parent = json.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        System.out.println("wrote " + json);
        return 0;
    }

    private static String steps(Map<String, Double> millis) {
        StringBuilder line = new StringBuilder();
        millis.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> line.append(String.format("%s %.2f, ", e.getKey(), e.getValue())));
        return line.append(String.format("total %.2f", millis.values().stream().mapToDouble(Double::doubleValue).sum()))
                .toString();
    }

    /** Seconds of the fastest of three single calls, after one warm-up call. */
    private double bestCall(CudaBackend backend, float[] pixels, int[] widths) {
        backend.forward(pixels, batch, widths);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            backend.forward(pixels, batch, widths);
            best = Math.min(best, System.nanoTime() - start);
        }
        return best / 1e9;
    }

    /** Images/s with {@code concurrency()} threads each running {@link #batches} whole batches. */
    private double throughput(CudaBackend backend, float[] pixels, int[] widths) throws Exception {
        int threads = backend.concurrency();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                work.add(pool.submit(() -> {
                    for (int i = 0; i < batches; i++) {
                        backend.forward(pixels, batch, widths);
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            return (double) threads * batches * batch / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static long freeDeviceBytes() {
        try (SizeTPointer free = new SizeTPointer(1); SizeTPointer total = new SizeTPointer(1)) {
            Cuda.check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
            return free.get();
        }
    }

    private static float[] randomPixels(int n) {
        SplittableRandom random = new SplittableRandom(7);
        float[] pixels = new float[n];
        for (int i = 0; i < n; i++) {
            pixels[i] = (float) random.nextGaussian();
        }
        return pixels;
    }
}
