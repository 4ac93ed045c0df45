package dev.mmr.cuda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.Cost;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import dev.mmr.encoder.Widths;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * GPU encoder throughput on the released shapes with random weights: images/s per shape, precision, scan form and
 * level, the matrix-multiply work that sustains as a fraction of the GPU's dense peak, and device memory per batch;
 * written as a table and as JSON rows {shape, precision, scan, level, batch, img_per_s}. Throughput runs
 * {@code concurrency()} threads of whole batches (pixels copied in, features and logits copied out); each row also
 * gives the device-only rate of one call (the sum of its kernels' and products' times); latency is the best single
 * call. Peak fractions count matrix-multiply work only ({@link Cost}), against the datasheet dense peak.
 * {@code bin/mmr bench-gpu} runs it.
 */
public final class CudaBenchmark {
    /** Dense datasheet peaks of the H100/H200 SXM, TFLOP/s, by precision. */
    private static final Map<Precision, Double> HOPPER_SXM_PEAK = Map.of(Precision.FP32, 66.9, Precision.TF32, 494.7,
            Precision.BF16, 989.4);

    /**
     * What to measure.
     *
     * @param shapes     35M and/or 135M
     * @param precisions fp32, tf32 and/or bf16
     * @param scans      the scan forms to measure, each its own backend
     * @param levels     uniform levels
     * @param batch      images per call
     * @param batches    timed batches per thread
     * @param peakTflops dense peak of this GPU in the run's precision, TFLOP/s; null: the H100/H200 SXM datasheet
     * @param json       where the rows go
     * @param command    the command line that asked for this run, recorded in the JSON
     */
    public record Plan(List<String> shapes, List<Precision> precisions, List<ScanForm> scans, List<Integer> levels,
                       int batch, int batches, Double peakTflops, Path json, String command) {
    }

    private final Plan plan;
    private final PrintStream out;

    public CudaBenchmark(Plan plan, PrintStream out) {
        this.plan = plan;
        this.out = out;
    }

    /** Measures every row of the plan on the GPU, prints the table and writes the JSON; needs a usable GPU ({@link CudaDevice}). */
    public void run() throws IOException, InterruptedException, ExecutionException {
        CudaDevice device = CudaDevice.get();
        out.println("device: " + device.describe());
        out.printf("%-5s %-5s %-9s %-7s %5s %9s %10s %11s %9s %7s %10s %10s%n", "shape", "prec", "scan", "width", "batch",
                "GFLOP/im", "images/s", "ms (1 call)", "TFLOP/s", "of peak", "workspace", "GPU used");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String shape : plan.shapes()) {
            ModelConfig config = BenchmarkModels.shape(shape, null, null);
            WeightSource weights = BenchmarkModels.randomWeights(config);
            float[] pixels = randomPixels(plan.batch() * 3 * config.imageSize() * config.imageSize());
            for (Precision precision : plan.precisions()) {
                for (ScanForm scan : plan.scans()) {
                    measure(device, shape, config, weights, pixels, precision, scan, rows);
                }
            }
        }
        out.println("wrote " + plan.json());
    }

    /** The rows of one shape, precision and scan form: one backend, every level of the plan. */
    private void measure(CudaDevice device, String shape, ModelConfig config, WeightSource weights, float[] pixels,
                         Precision precision, ScanForm scan, List<Map<String, Object>> rows)
            throws IOException, InterruptedException, ExecutionException {
        String name = precision.name().toLowerCase(Locale.ROOT);
        long freeBefore = Cuda.freeBytes();
        try (CudaBackend backend = new CudaBackend(config, weights, precision, scan)) {
            out.printf("%s %s %s: weights on the device %.2f GB; %s%n", shape, name, scan.label(),
                    backend.weightBytes() / 1e9, backend.description());
            for (int level : plan.levels()) {
                int[] widths = new int[config.nLayer()];
                Arrays.fill(widths, config.dModel() / level);
                double gflop = Cost.of(config, new Widths(widths, "level" + level)).gflop();
                double latency = bestCall(backend, pixels, widths);
                long used = freeBefore - Cuda.freeBytes();
                double rate = throughput(backend, pixels, widths);
                double tflops = rate * gflop / 1e3;
                Double peak = plan.peakTflops() != null ? plan.peakTflops()
                        : device.name().matches(".*H[12]00.*") ? HOPPER_SXM_PEAK.get(precision) : null;
                out.printf("%-5s %-5s %-9s %-7s %5d %9.2f %10.0f %11.1f %9.1f %7s %8.2fGB %8.2fGB%n", shape,
                        name, scan.label(), "level" + level, plan.batch(), gflop, rate, latency * 1e3, tflops,
                        peak == null ? "n/a" : String.format("%.1f%%", 100 * tflops / peak),
                        backend.workspaceBytes(plan.batch()) / 1e9, used / 1e9);
                Map<String, Double> stepMillis = backend.profile(pixels, plan.batch(), widths);
                double copyInMillis = stepMillis.remove(ForwardPass.COPY_IN);
                double deviceMillis = stepMillis.values().stream().mapToDouble(Double::doubleValue).sum();
                out.printf("      on the device alone (no copies): %.0f images/s; ms per step, one call: %s%n",
                        plan.batch() / (deviceMillis / 1e3), steps(stepMillis));
                out.printf("      copy in, one call: %.1f ms for %.0f MB (%.1f GB/s; into pinned memory and on to the device)%n",
                        copyInMillis, backend.pixelBytes(plan.batch()) / 1e6, backend.pixelBytes(plan.batch()) / copyInMillis / 1e6);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("shape", shape);
                row.put("precision", name);
                row.put("scan", scan.label());
                row.put("level", level);
                row.put("batch", plan.batch());
                row.put("img_per_s", Math.round(rate));
                rows.add(row);
                write(device, rows);
            }
        }
    }

    /** The JSON with the rows so far, rewritten after each row so that a run cut short keeps what it measured. */
    private void write(CudaDevice device, List<Map<String, Object>> rows) throws IOException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("device", device.describe());
        report.put("command", plan.command());
        report.put("rows", rows);
        Files.createDirectories(plan.json().toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(plan.json().toFile(), report);
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
        backend.forward(pixels, plan.batch(), widths);
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            backend.forward(pixels, plan.batch(), widths);
            best = Math.min(best, System.nanoTime() - start);
        }
        return best / 1e9;
    }

    /** Images/s with {@code concurrency()} threads each running {@code plan.batches()} whole batches. */
    private double throughput(CudaBackend backend, float[] pixels, int[] widths) throws InterruptedException, ExecutionException {
        int threads = backend.concurrency();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                work.add(pool.submit(() -> {
                    for (int i = 0; i < plan.batches(); i++) {
                        backend.forward(pixels, plan.batch(), widths);
                    }
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
            return (double) threads * plan.batches() * plan.batch() / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
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
