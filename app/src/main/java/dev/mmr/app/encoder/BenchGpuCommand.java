package dev.mmr.app.encoder;

import dev.mmr.app.MmrCommand;
import dev.mmr.cuda.CudaBenchmark;
import dev.mmr.cuda.CudaDevice;
import dev.mmr.cuda.ScanForm;
import dev.mmr.encoder.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The cuda backend's throughput on the released shapes: the options of {@link CudaBenchmark}, which measures. */
@Command(name = "bench-gpu", mixinStandardHelpOptions = true,
        description = {"Measures the cuda backend's images/s for the 35M and 135M shapes (random weights), 224px, per precision,",
                "scan form and level.",
                "Throughput (the JSON's img_per_s) runs backend.concurrency() threads of whole batches (pixels copied in, features and",
                "logits copied out); each row also gives the device-only rate of one call (the sum of its kernels' and products' times);",
                "latency is the best single call. Peak fractions count matrix-multiply work only (Cost), against the datasheet dense peak."})
public final class BenchGpuCommand implements Callable<Integer>, MmrCommand {
    @Option(names = "--shapes", split = ",", defaultValue = "35M,135M", description = "35M and/or 135M; default ${DEFAULT-VALUE}")
    List<String> shapes;

    @Option(names = "--precisions", split = ",", defaultValue = "fp32,tf32,bf16", converter = EncoderOptions.PrecisionConverter.class,
            description = "default ${DEFAULT-VALUE}")
    List<Precision> precisions;

    @Option(names = "--scan", split = ",", defaultValue = "auto", converter = ScanFormConverter.class,
            description = "auto (the backend's default: per layer, tensor from 128 channels, else recurrent), recurrent (the"
                    + " fused recurrence) and/or tensor (the SSD chunk form on tensor cores); tensor and auto run the"
                    + " recurrence in fp32; default ${DEFAULT-VALUE}")
    List<ScanForm> scans;

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

    @Override public Integer call() throws Exception {
        String unusable = CudaDevice.unavailableReason().orElse(null);
        if (unusable != null) {
            throw new IllegalArgumentException("no usable GPU: " + unusable);
        }
        String command = "bin/mmr bench-gpu --shapes " + String.join(",", shapes) + " --precisions "
                + precisions.stream().map(p -> p.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(","))
                + " --scan " + scans.stream().map(ScanForm::label).collect(Collectors.joining(","))
                + " --batch " + batch + " --batches " + batches;
        new CudaBenchmark(new CudaBenchmark.Plan(shapes, precisions, scans, levels, batch, batches, peakTflops, json, command),
                System.out).run();
        return 0;
    }

    static final class ScanFormConverter extends EncoderOptions.ParsingConverter<ScanForm> {
        ScanFormConverter() {
            super(ScanForm::parse);
        }
    }
}
