package dev.mmr.benchmarks;

import dev.mmr.encoder.BackendChoice;
import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.Device;
import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * One forward pass of the encoder through the backend seam, random weights, at batch 1 and 16 and uniform levels 1
 * (full width) and 8: milliseconds per batch. {@code -p device=cuda -p precision=bf16} runs another backend.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EncoderBenchmark {
    @Param({"cifar", "35M"})
    public String shape;

    @Param({"1", "16"})
    public int batch;

    @Param({"1", "8"})
    public int level;

    @Param({"cpu"})
    public String device;

    @Param({"fp32"})
    public String precision;

    private EncoderBackend backend;
    private float[] pixels;
    private int[] widths;

    @Setup(Level.Trial)
    public void open() {
        ModelConfig config = BenchmarkModels.shape(shape, null, null);
        backend = BackendChoice.choose(Device.parse(device)).provider()
                .open(config, BenchmarkModels.randomWeights(config), Precision.valueOf(precision.toUpperCase(Locale.ROOT)));
        pixels = new float[batch * 3 * config.imageSize() * config.imageSize()];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextGaussian();
        }
        widths = new int[config.nLayer()];
        Arrays.fill(widths, config.dModel() / level);
    }

    @TearDown(Level.Trial)
    public void close() {
        backend.close();
    }

    @Benchmark
    public NetworkOutput forward() {
        return backend.forward(pixels, batch, widths);
    }
}
