package dev.mmr.encoder.cpu;

import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.WeightSource;
import java.util.Arrays;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The CPU backend: the MatMamba-Vision network (docs/model.md, "Forward pass at a nested width") over one set of weights,
 * its large products on ND4J (OpenBLAS), the per-token steps as Java Vector API kernels ({@link Kernels}). Each
 * {@link #forward} call already spreads over every core, so one call at a time is what pays ({@link #concurrency()} 1);
 * calls may still come from any number of threads at once, each allocating its own buffers (once, for all layers).
 */
public final class CpuBackend implements EncoderBackend {
    /**
     * Rows of the products (batch x tokens) from which a larger batch gains little: 42 images of 197 tokens (224px),
     * 127 of 65 (CIFAR's 32px). docs/encoder.md, "Backends and devices", gives the measurements.
     */
    private static final int PREFERRED_ROWS = 8192;
    private static final int MAX_PREFERRED_BATCH = 256;
    /** Rows per parallel task of the row-wise kernels. */
    private static final int ROW_BLOCK = 64;
    /**
     * Heads of one image per parallel scan task when a row of activations spans a page or more: one head at a time
     * would then touch a new page at every token, which the hardware prefetchers do not follow (their states,
     * 8 x 8 KB at the 35M shape, stay in L2). Narrower rows are scanned {@code Kernels.packedHeads} heads a task
     * (one, or the fewest heads whose channels fill whole vectors together); wide groups are rounded up to whole packs.
     */
    private static final int SCAN_GROUP = 8;
    private static final int PAGE_BYTES = 4096;
    private static final float GATED_NORM_EPS = 1e-5f;

    private record Layer(float[] normWeight, float[] normBias, INDArray inProj, float[] convWeightT, float[] convBias,
                         float[] dtBias, float[] a, float[] skip, float[] gateNormWeight, INDArray outProjT) {
    }

    private final ModelConfig shape;
    private final INDArray patchWeight;
    private final float[] patchBias;
    private final float[] clsToken;
    private final float[] posEmbed;
    private final Layer[] layers;
    private final float[] finalNormWeight;
    private final float[] finalNormBias;
    private final float[] headWeight;
    private final float[] headBias;

    public CpuBackend(ModelConfig shape, WeightSource weights) {
        this.shape = shape;
        int d = shape.dModel();
        int p = shape.patchSize();
        patchWeight = matrix(weights.tensor("patch_embed.proj.weight"), d, 3 * p * p);
        patchBias = weights.tensor("patch_embed.proj.bias");
        clsToken = weights.tensor("cls_token");
        posEmbed = weights.tensor("pos_embed");
        layers = new Layer[shape.nLayer()];
        for (int i = 0; i < layers.length; i++) {
            String m = "layers." + i + ".mixer.";
            float[] aLog = weights.tensor(m + "A_log");
            float[] a = new float[aLog.length];
            for (int j = 0; j < a.length; j++) {
                a[j] = (float) -Math.exp(aLog[j]);
            }
            layers[i] = new Layer(weights.tensor("layers." + i + ".norm.weight"), weights.tensor("layers." + i + ".norm.bias"),
                    matrix(weights.tensor(m + "in_proj.weight"), shape.inProjRows(), d),
                    transpose(weights.tensor(m + "conv1d.weight"), shape.convChannels(), shape.dConv()),
                    weights.tensor(m + "conv1d.bias"), weights.tensor(m + "dt_bias"), a, weights.tensor(m + "D"),
                    weights.tensor(m + "norm.weight"),
                    matrix(transpose(weights.tensor(m + "out_proj.weight"), d, shape.dInner()), shape.dInner(), d));
        }
        finalNormWeight = weights.tensor("norm_f.weight");
        finalNormBias = weights.tensor("norm_f.bias");
        headWeight = weights.tensor("head.weight");
        headBias = weights.tensor("head.bias");
    }

    @Override public String description() {
        return "cpu: ND4J/OpenBLAS " + Nd4j.getEnvironment().maxThreads() + " threads + Java Vector API kernels "
                + (ForkJoinPool.getCommonPoolParallelism() + 1) + " threads";
    }

    @Override public int preferredBatch() {
        return Math.min(MAX_PREFERRED_BATCH, (PREFERRED_ROWS + shape.nTokens() - 1) / shape.nTokens());
    }

    @Override public int concurrency() {
        return 1;
    }

    /** Frees the native weight matrices. */
    @Override public void close() {
        patchWeight.close();
        for (Layer layer : layers) {
            layer.inProj().close();
            layer.outProjT().close();
        }
    }

    @Override public NetworkOutput forward(float[] pixels, int batch, int[] widths) {
        int d = shape.dModel();
        int rows = batch * shape.nTokens();
        float[] residual = embed(pixels, batch);
        float eps = (float) shape.normEpsilon();
        try (Buffers buf = new Buffers(batch, shape.dInner(Arrays.stream(widths).max().orElseThrow()))) {
            for (int i = 0; i < layers.length; i++) {
                Layer layer = layers[i];
                boolean first = i == 0;
                forEachBlock(rows, (from, to) -> {
                    if (!first) {
                        Kernels.addInPlace(residual, buf.hidden, from * d, to * d);
                    }
                    Kernels.layerNorm(residual, buf.u, from, to, d, layer.normWeight(), layer.normBias(), eps);
                });
                mix(layer, buf, batch, widths[i]);
            }
            Kernels.addInPlace(residual, buf.hidden, 0, residual.length);
        }
        return head(residual, batch);
    }

    /**
     * The working memory of one {@link #forward} call, sized for its batch and widest mixer and reused by every layer:
     * the Java arrays the kernels run on and the two native buffers the products read and write.
     */
    private final class Buffers implements AutoCloseable {
        final float[] u;
        final float[] z;
        final float[] x;
        final float[] bcdt;
        final float[] xc;
        final float[] bc;
        final float[] dt;
        final float[] decay;
        final float[] y;
        final float[] hidden;
        final INDArray gemmIn;
        final INDArray gemmOut;

        Buffers(int batch, int maxInner) {
            int rows = batch * shape.nTokens();
            int d = shape.dModel();
            int n = shape.dState();
            int maxHeads = maxInner / shape.headdim();
            u = new float[rows * d];
            z = new float[rows * maxInner];
            x = new float[rows * maxInner];
            bcdt = new float[rows * (2 * n + maxHeads)];
            xc = new float[rows * maxInner];
            bc = new float[rows * 2 * n];
            dt = new float[rows * maxHeads];
            decay = new float[rows * maxHeads];
            y = new float[rows * maxInner];
            hidden = new float[rows * d];
            gemmIn = Nd4j.createUninitialized(DataType.FLOAT, (long) rows * Math.max(d, maxInner));
            gemmOut = Nd4j.createUninitialized(DataType.FLOAT, (long) rows * Math.max(Math.max(d, maxInner), 2 * n + maxHeads));
        }

        @Override public void close() {
            gemmIn.close();
            gemmOut.close();
        }
    }

    /** Patch embedding, suffix [CLS] token and position embedding: the first residual stream (batch*L x D). */
    private float[] embed(float[] pixels, int batch) {
        int d = shape.dModel();
        int p = shape.patchSize();
        int s = shape.imageSize();
        int side = s / p;
        int t = shape.nPatches();
        int l = shape.nTokens();
        int k = 3 * p * p;
        float[] patches = new float[batch * t * k];
        IntStream.range(0, batch * t).parallel().forEach(row -> {
            int b = row / t;
            int gy = (row % t) / side;
            int gx = row % side;
            int o = row * k;
            for (int c = 0; c < 3; c++) {
                for (int ky = 0; ky < p; ky++) {
                    System.arraycopy(pixels, ((b * 3 + c) * s + gy * p + ky) * s + gx * p, patches, o, p);
                    o += p;
                }
            }
        });
        float[] projected = matmul(patches, batch * t, k, patchWeight, true);
        float[] out = new float[batch * l * d];
        IntStream.range(0, batch * l).parallel().forEach(row -> {
            int b = row / l;
            int tok = row % l;
            int o = row * d;
            if (tok < t) {
                int src = (b * t + tok) * d;
                for (int c = 0; c < d; c++) {
                    out[o + c] = projected[src + c] + patchBias[c] + posEmbed[tok * d + c];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    out[o + c] = clsToken[c] + posEmbed[tok * d + c];
                }
            }
        });
        return out;
    }

    /**
     * One mixer at width {@code w} on {@code buf.u}: in_proj (sliced), conv + SiLU, selective scan, gated RMSNorm,
     * out_proj (sliced) into {@code buf.hidden}.
     */
    private void mix(Layer layer, Buffers buf, int batch, int w) {
        int d = shape.dModel();
        int n = shape.dState();
        int l = shape.nTokens();
        int rows = batch * l;
        int inner = shape.dInner();
        int di = shape.dInner(w);
        int heads = shape.nHeads(w);
        int bcdtWidth = 2 * n + heads;
        INDArray u = load(buf.gemmIn, buf.u, rows, d);
        product(u, rows(layer.inProj(), 0, di), true, buf.gemmOut, buf.z);
        product(u, rows(layer.inProj(), inner, di), true, buf.gemmOut, buf.x);
        product(u, rows(layer.inProj(), 2 * inner, bcdtWidth), true, buf.gemmOut, buf.bcdt);

        int convChannels = shape.convChannels();
        int taps = shape.dConv();
        float[] bcdt = buf.bcdt;
        IntStream.range(0, batch).parallel().forEach(b -> {
            Kernels.causalConvSilu(buf.x, di, 0, b * l, l, di, layer.convWeightT(), layer.convBias(), convChannels, 0, taps, buf.xc);
            Kernels.causalConvSilu(bcdt, bcdtWidth, 0, b * l, l, 2 * n, layer.convWeightT(), layer.convBias(), convChannels, inner, taps, buf.bc);
            for (int r = b * l; r < (b + 1) * l; r++) {
                Kernels.stepAndDecay(bcdt, r * bcdtWidth + 2 * n, layer.dtBias(), layer.a(), buf.dt, buf.decay, r * heads, heads);
            }
        });
        int packed = Kernels.packedHeads(shape.headdim());
        int group = di * Float.BYTES >= PAGE_BYTES ? (SCAN_GROUP + packed - 1) / packed * packed : packed;
        int groups = (heads + group - 1) / group;
        IntStream.range(0, batch * groups).parallel().forEach(task -> {
            int b = task / groups;
            int head0 = task % groups * group;
            Kernels.scanHeads(buf.xc, buf.y, di, shape.headdim(), buf.bc, n, buf.dt, buf.decay, heads, head0,
                    Math.min(group, heads - head0), layer.skip(), b * l, l);
        });
        forEachBlock(rows, (from, to) -> Kernels.gateRmsNorm(buf.y, buf.z, from, to, di, layer.gateNormWeight(), GATED_NORM_EPS));
        product(load(buf.gemmIn, buf.y, rows, di), rows(layer.outProjT(), 0, di), false, buf.gemmOut, buf.hidden);
    }

    /** norm_f at each image's [CLS] token (the last), then the classifier. */
    private NetworkOutput head(float[] residual, int batch) {
        int d = shape.dModel();
        int l = shape.nTokens();
        int classes = shape.nClasses();
        float[] cls = new float[batch * d];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(residual, (b * l + l - 1) * d, cls, b * d, d);
        }
        float[] features = new float[batch * d];
        Kernels.layerNorm(cls, features, 0, batch, d, finalNormWeight, finalNormBias, (float) shape.normEpsilon());
        float[] logits = new float[batch * classes];
        IntStream.range(0, batch * classes).parallel().forEach(i -> {
            int b = i / classes;
            int c = i % classes;
            double acc = headBias[c];
            for (int k = 0; k < d; k++) {
                acc += (double) features[b * d + k] * headWeight[c * d + k];
            }
            logits[i] = (float) acc;
        });
        return new NetworkOutput(features, logits);
    }

    private static void forEachBlock(int rows, RowRange body) {
        IntStream.range(0, (rows + ROW_BLOCK - 1) / ROW_BLOCK).parallel()
                .forEach(blk -> body.run(blk * ROW_BLOCK, Math.min(rows, (blk + 1) * ROW_BLOCK)));
    }

    @FunctionalInterface
    private interface RowRange {
        void run(int from, int to);
    }

    /** {@code a (rows x cols) . w^T} when {@code transposeW} (w is out x cols), else {@code a . w} (w is cols x out). */
    private static float[] matmul(float[] a, int rows, int cols, INDArray w, boolean transposeW) {
        INDArray aNd = toNd(a, rows, cols);
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, rows, transposeW ? w.rows() : w.columns());
        float[] result = new float[Math.toIntExact(out.length())];
        product(aNd, w, transposeW, out, result);
        aNd.close();
        out.close();
        return result;
    }

    /** {@code a . w^T} (or {@code a . w}) into the front of the native buffer {@code scratch}, then copied to {@code result}. */
    private static void product(INDArray a, INDArray w, boolean transposeW, INDArray scratch, float[] result) {
        INDArray out = matrixOn(scratch, a.rows(), transposeW ? w.rows() : w.columns());
        Nd4j.gemm(a, w, out, false, transposeW, 1.0, 0.0);
        scratch.data().asNioFloat().get(result, 0, Math.toIntExact(out.length()));
    }

    /** Copies {@code rows x cols} values of {@code data} into the front of the native buffer {@code scratch}, as a matrix. */
    private static INDArray load(INDArray scratch, float[] data, int rows, int cols) {
        scratch.data().asNioFloat().put(data, 0, rows * cols);
        return matrixOn(scratch, rows, cols);
    }

    /** A row-major {@code rows x cols} matrix over the first values of {@code buffer} (no copy). */
    private static INDArray matrixOn(INDArray buffer, long rows, long cols) {
        return Nd4j.create(buffer.data(), rows, cols);
    }

    private static INDArray toNd(float[] data, int rows, int cols) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, cols);
        a.data().asNioFloat().put(data, 0, rows * cols);
        return a;
    }

    /** The contiguous row block [from, from + count) of a row-major matrix, as a view. */
    private static INDArray rows(INDArray m, int from, int count) {
        return m.get(NDArrayIndex.interval(from, from + count), NDArrayIndex.all());
    }

    private static INDArray matrix(float[] data, int rows, int cols) {
        if (data.length != rows * cols) {
            throw new IllegalArgumentException("expected " + rows + "x" + cols + " values, got " + data.length);
        }
        return toNd(data, rows, cols);
    }

    /** The transpose of a row-major rows x cols matrix. */
    private static float[] transpose(float[] data, int rows, int cols) {
        float[] out = new float[data.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = data[r * cols + c];
            }
        }
        return out;
    }
}
