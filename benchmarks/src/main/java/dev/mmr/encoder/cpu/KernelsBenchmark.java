package dev.mmr.encoder.cpu;

import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.ModelConfig;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU backend's per-token kernels on one image of a shape at full width, on one thread: LayerNorm of the residual
 * stream, the causal depthwise conv + SiLU of x, and the selective scan of every head (in the groups of 8 heads the
 * network's tasks use). Microseconds per image-layer. In the kernels' package, so it calls them as the network does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KernelsBenchmark {
    private static final int SCAN_GROUP = 8;

    @Param({"cifar", "35M"})
    public String shape;

    private int d;
    private int tokens;
    private int inner;
    private int n;
    private int heads;
    private int headdim;
    private int taps;
    private float[] residual;
    private float[] normed;
    private float[] gain;
    private float[] bias;
    private float[] x;
    private float[] convWeightT;
    private float[] convBias;
    private float[] xc;
    private float[] bc;
    private float[] dt;
    private float[] decay;
    private float[] skip;
    private float[] y;

    @Setup
    public void fill() {
        ModelConfig c = BenchmarkModels.shape(shape, null, null);
        SplittableRandom random = new SplittableRandom(3);
        d = c.dModel();
        tokens = c.nTokens();
        inner = c.dInner();
        n = c.dState();
        heads = c.nHeads();
        headdim = c.headdim();
        taps = c.dConv();
        residual = gaussian(random, tokens * d, 1);
        normed = new float[tokens * d];
        gain = gaussian(random, d, 1);
        bias = gaussian(random, d, 0.1f);
        x = gaussian(random, tokens * inner, 1);
        convWeightT = gaussian(random, taps * c.convChannels(), 0.5f);
        convBias = gaussian(random, c.convChannels(), 0.1f);
        xc = new float[tokens * inner];
        bc = gaussian(random, tokens * 2 * n, 1);
        dt = new float[tokens * heads];
        decay = new float[tokens * heads];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = (float) random.nextDouble(0.001, 0.1);
            decay[i] = (float) Math.exp(-dt[i] * random.nextDouble(1, 16));
        }
        skip = new float[heads];
        Arrays.fill(skip, 1f);
        y = new float[tokens * inner];
    }

    @Benchmark
    public float[] layerNorm() {
        Kernels.layerNorm(residual, normed, 0, tokens, d, gain, bias, 1e-5f);
        return normed;
    }

    @Benchmark
    public float[] causalConvSilu() {
        Kernels.causalConvSilu(x, inner, 0, 0, tokens, inner, convWeightT, convBias, inner + 2 * n, 0, taps, xc);
        return xc;
    }

    @Benchmark
    public float[] scan() {
        for (int head0 = 0; head0 < heads; head0 += SCAN_GROUP) {
            Kernels.scanHeads(x, y, inner, headdim, bc, n, dt, decay, heads, head0, Math.min(SCAN_GROUP, heads - head0), skip, 0, tokens);
        }
        return y;
    }

    private static float[] gaussian(SplittableRandom random, int size, float scale) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = scale * (float) random.nextGaussian();
        }
        return a;
    }
}
