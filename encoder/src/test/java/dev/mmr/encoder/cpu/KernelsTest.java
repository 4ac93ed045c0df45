package dev.mmr.encoder.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The selective-scan kernel at every vector shape (heads of whole vectors, narrow heads side by side in a vector, and
 * the odd-width fallback), and the step sizes and decays, against float64.
 */
class KernelsTest {

    @ParameterizedTest(name = "headdim {0}")
    @ValueSource(ints = {16, 32, 24, 8, 4, 2, 12, 6, 3})
    void scanMatchesTheRecurrence(int headdim) {
        int heads = 9;
        int len = 9;
        SplittableRandom random = new SplittableRandom(headdim);
        float[] dt = new float[len * heads];
        float[] decay = new float[len * heads];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = (float) random.nextDouble(0.01, 1);
            decay[i] = (float) Math.exp(-dt[i] * random.nextDouble(1, 8));
        }
        assertScanMatchesRecurrence(random, headdim, heads, len, dt, decay);
    }

    /** Long sequences mixing slow decays, fast ones and decays that underflow to 0. */
    @ParameterizedTest(name = "headdim {0}")
    @ValueSource(ints = {4, 8, 16, 32})
    void scanStaysExactOverLongSequencesAndVanishingDecays(int headdim) {
        int heads = 5;
        int len = 300;
        SplittableRandom random = new SplittableRandom(headdim + 1);
        float[] dt = new float[len * heads];
        float[] decay = new float[len * heads];
        for (int i = 0; i < dt.length; i++) {
            dt[i] = (float) random.nextDouble(0.001, 2);
            double kind = random.nextDouble();
            decay[i] = kind < 0.03 ? 0f : kind < 0.06 ? 1e-30f : kind < 0.5 ? (float) random.nextDouble(0.95, 1) : (float) Math.exp(-dt[i] * random.nextDouble(1, 16));
        }
        assertScanMatchesRecurrence(random, headdim, heads, len, dt, decay);
    }

    private static void assertScanMatchesRecurrence(SplittableRandom random, int headdim, int heads, int len, float[] dt, float[] decay) {
        int n = 25;
        int width = heads * headdim;
        float[] x = gaussian(random, len * width);
        float[] bc = gaussian(random, len * 2 * n);
        float[] skip = gaussian(random, heads);
        float[] y = new float[len * width];
        // Head 0 alone, the others as one token-major group: both forms of the call (narrow heads that fill whole vectors
        // together are scanned side by side, the rest one channel at a time).
        Kernels.scanHeads(x, y, width, headdim, bc, n, dt, decay, heads, 0, 1, skip, 0, len);
        Kernels.scanHeads(x, y, width, headdim, bc, n, dt, decay, heads, 1, heads - 1, skip, 0, len);
        for (int j = 0; j < heads; j++) {
            double[][] state = new double[headdim][n];
            for (int t = 0; t < len; t++) {
                for (int p = 0; p < headdim; p++) {
                    double xv = x[t * width + j * headdim + p];
                    double out = skip[j] * xv;
                    for (int i = 0; i < n; i++) {
                        state[p][i] = decay[t * heads + j] * state[p][i] + dt[t * heads + j] * xv * bc[t * 2 * n + i];
                        out += state[p][i] * bc[t * 2 * n + n + i];
                    }
                    assertEquals(out, y[t * width + j * headdim + p], 1e-4 * (1 + Math.abs(out)), "head " + j + " token " + t + " channel " + p);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} heads")
    @ValueSource(ints = {64, 8, 11, 3})
    void stepAndDecayMatchSoftplusAndExp(int heads) {
        SplittableRandom random = new SplittableRandom(heads);
        float[] raw = new float[heads + 2];
        for (int j = 0; j < raw.length; j++) {
            raw[j] = (float) random.nextDouble(-30, 30);
        }
        raw[2] = 25f;
        float[] bias = gaussian(random, heads);
        float[] a = new float[heads];
        for (int j = 0; j < heads; j++) {
            a[j] = (float) -random.nextDouble(1, 16);
        }
        float[] dt = new float[heads + 1];
        float[] decay = new float[heads + 1];
        Kernels.stepAndDecay(raw, 2, bias, a, dt, decay, 1, heads);
        for (int j = 0; j < heads; j++) {
            double v = (double) raw[2 + j] + bias[j];
            double step = v > 20 ? v : Math.log1p(Math.exp(v));
            assertEquals(step, dt[1 + j], 1e-6 * (1 + step), "dt of head " + j);
            // the exponent is rounded to float, as in the kernel
            assertEquals(Math.exp(dt[1 + j] * a[j]), decay[1 + j], 1e-6 * decay[1 + j] + 1e-30, "decay of head " + j);
        }
    }

    private static float[] gaussian(SplittableRandom random, int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }
}
