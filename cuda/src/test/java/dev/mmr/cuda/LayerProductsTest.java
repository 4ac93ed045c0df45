package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.ModelConfig;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The cuBLAS parameters of each nested width's products, run here through a plain column-major GEMM with BLAS's
 * semantics on the weights as the device keeps them, against the row-major slices the CPU network multiplies
 * (MatMambaNetwork.mix): z = u . in_proj[0, di)^T, x = u . in_proj[dInner, dInner + di)^T,
 * [B, C, dt] = u . in_proj[2 dInner, 2 dInner + 2N + heads)^T and hidden = y . out_proj[:, 0:di]^T.
 */
class LayerProductsTest {
    private static final ModelConfig GOLDEN = new ModelConfig(128, 4, 10, 4, 32, 64, 4, 2, 1e-5);
    private static final int ROWS = 7;

    @ParameterizedTest(name = "width {0}")
    @ValueSource(ints = {128, 64, 32, 16, 2, 96, 10})
    void eachWidthsProductsAreLeadingBlocksOfTheDevicesWeights(int width) {
        SplittableRandom random = new SplittableRandom(width);
        int d = GOLDEN.dModel();
        int inner = GOLDEN.dInner();
        int n = GOLDEN.dState();
        int hd = GOLDEN.headdim();
        int inRows = 2 * inner + 2 * n + GOLDEN.nHeads();
        float[] inProj = random(random, inRows * d);
        float[] outProj = random(random, d * inner);
        float[] u = random(random, ROWS * d);
        LayerProducts p = LayerProducts.of(GOLDEN, ROWS, width);
        int di = 2 * width;
        int heads = di / hd;
        assertEquals(di, p.di());
        assertEquals(heads, p.heads());
        // B and C, then groups of 8 heads: their 8 dt columns (a last group's missing heads' zero), then each head's z
        // and x; a group a width uses in part (2: one head of 4; 10: five) ends after its last head.
        int groups = (heads + 7) / 8;
        assertEquals(2 * n + 8 * groups + heads * 2 * hd, p.inWidth());

        int[] order = LayerProducts.inProjRowOrder(GOLDEN);
        assertEquals(inRows, IntStream.of(order).distinct().filter(r -> r >= 0 && r < inRows).count());
        assertEquals(inRows, IntStream.of(order).filter(r -> r >= 0).count());
        float[] device = new float[order.length * d];
        for (int r = 0; r < order.length; r++) {
            if (order[r] >= 0) {
                System.arraycopy(inProj, order[r] * d, device, r * d, d);
            }
        }
        float[] out = columnMajor(p.in(), device, u);
        float[] z = rowMajor(u, d, inProj, d, 0, di, d);
        float[] x = rowMajor(u, d, inProj, d, inner, di, d);
        float[] bcdt = rowMajor(u, d, inProj, d, 2 * inner, 2 * n + heads, d);
        int width2 = p.inWidth();
        for (int row = 0; row < ROWS; row++) {
            for (int j = 0; j < 2 * n; j++) {
                assertClose(bcdt[row * (2 * n + heads) + j], out[row * width2 + j], "B/C " + j);
            }
            for (int h = 0; h < heads; h++) {
                int group = row * width2 + 2 * n + h / 8 * (8 + 8 * 2 * hd);
                int head = group + 8 + h % 8 * 2 * hd;
                assertEquals(0, (head - row * width2) % 2, "head " + h + "'s z starts at an even column");
                for (int c = 0; c < hd; c++) {
                    assertClose(z[row * di + h * hd + c], out[head + c], "z of head " + h);
                    assertClose(x[row * di + h * hd + c], out[head + hd + c], "x of head " + h);
                }
                assertClose(bcdt[row * (2 * n + heads) + 2 * n + h], out[group + h % 8], "dt of head " + h);
            }
        }
        float[] y = random(random, ROWS * di);
        float[] hidden = rowMajor(y, di, outProj, inner, 0, d, di);
        float[] product = columnMajor(p.out(), outProj, y);
        for (int i = 0; i < hidden.length; i++) {
            assertClose(hidden[i], product[i], "out_proj " + i);
        }
        assertEquals(2.0 * ROWS * d * (2 * di + 2 * n + 8 * groups) + 2.0 * ROWS * di * d, p.flop(), 1e-6);
    }

    @Test
    void widthsThatAreNotWholeHeadsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LayerProducts.of(GOLDEN, ROWS, 3));
        assertThrows(IllegalArgumentException.class, () -> LayerProducts.of(GOLDEN, ROWS, 256));
        assertThrows(IllegalArgumentException.class, () -> LayerProducts.of(GOLDEN, ROWS, 0));
    }

    @Test
    void leadingDimensionsSmallerThanTheProductAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Gemm(true, false, 8, 4, 16, 0, 8, 16, 8));
    }

    /** {@code in (rows x inCols, first k columns) . W[firstRow, firstRow + outs)[:, 0:k]^T}, W row-major with wCols. */
    private static float[] rowMajor(float[] in, int inCols, float[] w, int wCols, int firstRow, int outs, int k) {
        float[] out = new float[ROWS * outs];
        for (int r = 0; r < ROWS; r++) {
            for (int o = 0; o < outs; o++) {
                double acc = 0;
                for (int j = 0; j < k; j++) {
                    acc += (double) in[r * inCols + j] * w[(firstRow + o) * wCols + j];
                }
                out[r * outs + o] = (float) acc;
            }
        }
        return out;
    }

    /** BLAS column-major {@code C = op(A) op(B)}, A read from {@code aOffset}; C returned as ldc x n. */
    static float[] columnMajor(Gemm g, float[] a, float[] b) {
        float[] c = new float[g.ldc() * g.n()];
        for (int i = 0; i < g.m(); i++) {
            for (int j = 0; j < g.n(); j++) {
                double acc = 0;
                for (int l = 0; l < g.k(); l++) {
                    float av = g.transA() ? a[(int) g.aOffset() + l + i * g.lda()] : a[(int) g.aOffset() + i + l * g.lda()];
                    float bv = g.transB() ? b[j + l * g.ldb()] : b[l + j * g.ldb()];
                    acc += (double) av * bv;
                }
                c[i + j * g.ldc()] = (float) acc;
            }
        }
        return c;
    }

    private static float[] random(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }

    private static void assertClose(float expected, float actual, String what) {
        assertTrue(Math.abs(expected - actual) <= 1e-4 * (1 + Math.abs(expected)), what + ": " + expected + " vs " + actual);
    }
}
