package dev.mmr.encoder.cpu;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Why the selective scan is a Java kernel: times, for one image and one layer, the vectorised recurrence
 * ({@link Kernels#scanHeads}, one task per vector of heads, as the backend runs it) against the two ND4J operations that the quadratic ("SSD") form
 * cannot do without: the exponential of the per-head decay matrix (heads x L x L) and the batched product
 * (heads x L x L) . (heads x L x headdim). The ND4J figure is a lower bound of that form (it leaves out
 * C.B^T, the cumulative sums, the mask and the reshapes).
 */
public final class ScanStepBenchmark {
    /** Milliseconds per image-layer of the Java scan and of the ND4J lower bound. */
    public record Result(double javaScanMs, double nd4jQuadraticLowerBoundMs) {
    }

    private ScanStepBenchmark() {
    }

    public static Result run(int heads, int tokens, int headdim, int dState, int repetitions) {
        SplittableRandom random = new SplittableRandom(1);
        int width = heads * headdim;
        float[] x = fill(random, tokens * width, 1);
        float[] bc = fill(random, tokens * 2 * dState, 1);
        float[] dt = fill(random, tokens * heads, 0.1f);
        float[] decay = new float[tokens * heads];
        for (int i = 0; i < decay.length; i++) {
            dt[i] = Math.abs(dt[i]);
            decay[i] = (float) Math.exp(-dt[i]);
        }
        float[] y = new float[tokens * width];
        float[] skip = new float[heads];
        Arrays.fill(skip, 1f);
        int group = Kernels.packedHeads(headdim);
        double java = best(repetitions, () -> IntStream.range(0, (heads + group - 1) / group).parallel().forEach(g ->
                Kernels.scanHeads(x, y, width, headdim, bc, dState, dt, decay, heads, g * group,
                        Math.min(group, heads - g * group), skip, 0, tokens)));
        INDArray segments = Nd4j.rand(DataType.FLOAT, heads, tokens, tokens).negi();
        INDArray xdt = Nd4j.rand(DataType.FLOAT, heads, tokens, headdim);
        double nd4j = best(repetitions, () -> {
            INDArray m = Transforms.exp(segments, true);
            INDArray out = Nd4j.matmul(m, xdt);
            m.close();
            out.close();
        });
        segments.close();
        xdt.close();
        return new Result(java, nd4j);
    }

    private static float[] fill(SplittableRandom random, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = scale * (float) random.nextGaussian();
        }
        return a;
    }

    private static double best(int repetitions, Runnable work) {
        work.run();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            work.run();
            best = Math.min(best, System.nanoTime() - start);
        }
        return best / 1e6;
    }
}
