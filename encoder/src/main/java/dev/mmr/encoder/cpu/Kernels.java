package dev.mmr.encoder.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-token steps of a MatMamba block as fused Java Vector API loops over row-major float arrays.
 * Every method writes only the rows it is given, so callers may run disjoint row ranges in parallel.
 */
final class Kernels {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();

    private Kernels() {
    }

    /** {@code out[r] = LayerNorm(in[r]) * gain + bias} for rows [from, to) of width {@code d}. */
    static void layerNorm(float[] in, float[] out, int from, int to, int d, float[] gain, float[] bias, float eps) {
        for (int r = from; r < to; r++) {
            int o = r * d;
            float mean = sum(in, o, d) / d;
            FloatVector m = FloatVector.broadcast(F, mean);
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c <= d - LANES; c += LANES) {
                FloatVector v = FloatVector.fromArray(F, in, o + c).sub(m);
                acc = v.fma(v, acc);
            }
            float var = acc.reduceLanes(VectorOperators.ADD);
            for (; c < d; c++) {
                float v = in[o + c] - mean;
                var += v * v;
            }
            float inv = (float) (1.0 / Math.sqrt(var / d + eps));
            FloatVector s = FloatVector.broadcast(F, inv);
            c = 0;
            for (; c <= d - LANES; c += LANES) {
                FloatVector v = FloatVector.fromArray(F, in, o + c).sub(m).mul(s);
                v.fma(FloatVector.fromArray(F, gain, c), FloatVector.fromArray(F, bias, c)).intoArray(out, o + c);
            }
            for (; c < d; c++) {
                out[o + c] = (in[o + c] - mean) * inv * gain[c] + bias[c];
            }
        }
    }

    /**
     * Causal depthwise convolution followed by SiLU over the {@code len} tokens of one image.
     * Input channel c of token t is {@code in[(row0 + t) * inStride + inCol + c]}; kernel tap k of channel c is
     * {@code weightT[k * convChannels + convCol + c]} (taps transposed to [k][channel]) with bias
     * {@code bias[convCol + c]}; output goes to {@code out[(row0 + t) * channels + c]}.
     */
    static void causalConvSilu(float[] in, int inStride, int inCol, int row0, int len, int channels,
                               float[] weightT, float[] bias, int convChannels, int convCol, int taps, float[] out) {
        for (int t = 0; t < len; t++) {
            int o = (row0 + t) * channels;
            int c = 0;
            for (; c <= channels - LANES; c += LANES) {
                FloatVector acc = FloatVector.fromArray(F, bias, convCol + c);
                for (int k = Math.max(0, taps - 1 - t); k < taps; k++) {
                    int src = (row0 + t - taps + 1 + k) * inStride + inCol + c;
                    acc = FloatVector.fromArray(F, in, src).fma(FloatVector.fromArray(F, weightT, k * convChannels + convCol + c), acc);
                }
                silu(acc).intoArray(out, o + c);
            }
            for (; c < channels; c++) {
                float acc = bias[convCol + c];
                for (int k = Math.max(0, taps - 1 - t); k < taps; k++) {
                    acc += in[(row0 + t - taps + 1 + k) * inStride + inCol + c] * weightT[k * convChannels + convCol + c];
                }
                out[o + c] = silu(acc);
            }
        }
    }

    /**
     * The selective scan of heads {@code head0 .. head0 + count - 1} over the {@code len} tokens of one image, each with
     * state S (N x headdim): {@code S_t = decay_t * S_{t-1} + dt_t * B_t (outer) x_t;  y_t = C_t . S_t + skip * x_t}.
     * Head j's channels are columns {@code j * headdim ..} of x and y ({@code xStride} floats per row); B and C are rows
     * of {@code bc} ({@code 2N} floats per row: B then C); dt and decay have {@code hStride} floats per row, one per head.
     * Token-major over the group of heads, so each token's row of x and y is read and written in one sweep (a row of a
     * batch's activations is a page apart from the next: head by head, every token would touch a new page).
     * Vectorised over channels, so no horizontal sums are needed: a head a vector (or several) when its channels fill
     * whole vectors (16 and 32 channels with 16 lanes); otherwise runs of {@link #packedHeads} heads side by side, whose
     * channels fill whole vectors together (two 8-channel heads a vector, four 12-channel heads three vectors); the
     * heads left over one channel at a time. The sum over the N
     * state rows runs as several independent FMA chains (even and odd rows): one chain would be bound by the FMA
     * latency, not its throughput.
     */
    static void scanHeads(float[] x, float[] y, int xStride, int headdim, float[] bc, int n, float[] dt, float[] decay,
                          int hStride, int head0, int count, float[] skip, int row0, int len) {
        if (headdim % LANES != 0) {
            int packed = count / packedHeads(headdim) * packedHeads(headdim);
            if (packed > 0) {
                scanPackedHeads(x, y, xStride, headdim, bc, n, dt, decay, hStride, head0, packed, skip, row0, len);
            }
            for (int head = head0 + packed; head < head0 + count; head++) {
                scanHeadScalar(x, y, xStride, head * headdim, headdim, bc, n, dt, decay, hStride, head, skip[head], row0, len);
            }
            return;
        }
        float[] states = new float[count * n * headdim];
        for (int t = 0; t < len; t++) {
            int row = row0 + t;
            int b = row * 2 * n;
            for (int g = 0; g < count; g++) {
                int head = head0 + g;
                scanToken(x, y, row * xStride + head * headdim, headdim, bc, b, n, decay[row * hStride + head],
                        dt[row * hStride + head], skip[head], states, g * n * headdim);
            }
        }
    }

    /** One token of one head: the state (N x headdim at {@code base} of {@code state}) in place, and y at {@code xo}. */
    private static void scanToken(float[] x, float[] y, int xo, int headdim, float[] bc, int b, int n, float decay,
                                  float step, float skip, float[] state, int base) {
        FloatVector a = FloatVector.broadcast(F, decay);
        int v = 0;
        // Two vectors of channels share the broadcasts of B and C; state rows i and i+1 feed separate chains.
        for (; v + 2 * LANES <= headdim; v += 2 * LANES) {
            FloatVector x0 = FloatVector.fromArray(F, x, xo + v);
            FloatVector x1 = FloatVector.fromArray(F, x, xo + v + LANES);
            FloatVector acc0 = x0.mul(skip);
            FloatVector acc1 = x1.mul(skip);
            FloatVector acc2 = FloatVector.zero(F);
            FloatVector acc3 = FloatVector.zero(F);
            int i = 0;
            for (int s = base + v; i + 1 < n; i += 2, s += 2 * headdim) {
                FloatVector db = FloatVector.broadcast(F, step * bc[b + i]);
                FloatVector c = FloatVector.broadcast(F, bc[b + n + i]);
                FloatVector db2 = FloatVector.broadcast(F, step * bc[b + i + 1]);
                FloatVector c2 = FloatVector.broadcast(F, bc[b + n + i + 1]);
                FloatVector st0 = x0.fma(db, FloatVector.fromArray(F, state, s).mul(a));
                FloatVector st1 = x1.fma(db, FloatVector.fromArray(F, state, s + LANES).mul(a));
                FloatVector st2 = x0.fma(db2, FloatVector.fromArray(F, state, s + headdim).mul(a));
                FloatVector st3 = x1.fma(db2, FloatVector.fromArray(F, state, s + headdim + LANES).mul(a));
                st0.intoArray(state, s);
                st1.intoArray(state, s + LANES);
                st2.intoArray(state, s + headdim);
                st3.intoArray(state, s + headdim + LANES);
                acc0 = st0.fma(c, acc0);
                acc1 = st1.fma(c, acc1);
                acc2 = st2.fma(c2, acc2);
                acc3 = st3.fma(c2, acc3);
            }
            if (i < n) {
                int s = base + i * headdim + v;
                FloatVector db = FloatVector.broadcast(F, step * bc[b + i]);
                FloatVector c = FloatVector.broadcast(F, bc[b + n + i]);
                FloatVector st0 = x0.fma(db, FloatVector.fromArray(F, state, s).mul(a));
                FloatVector st1 = x1.fma(db, FloatVector.fromArray(F, state, s + LANES).mul(a));
                st0.intoArray(state, s);
                st1.intoArray(state, s + LANES);
                acc0 = st0.fma(c, acc0);
                acc1 = st1.fma(c, acc1);
            }
            acc0.add(acc2).intoArray(y, xo + v);
            acc1.add(acc3).intoArray(y, xo + v + LANES);
        }
        // A single vector of channels: state rows i and i+1 feed separate chains.
        for (; v < headdim; v += LANES) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + v);
            FloatVector acc0 = xv.mul(skip);
            FloatVector acc1 = FloatVector.zero(F);
            int i = 0;
            for (int s = base + v; i + 1 < n; i += 2, s += 2 * headdim) {
                FloatVector st0 = xv.fma(FloatVector.broadcast(F, step * bc[b + i]), FloatVector.fromArray(F, state, s).mul(a));
                FloatVector st1 = xv.fma(FloatVector.broadcast(F, step * bc[b + i + 1]),
                        FloatVector.fromArray(F, state, s + headdim).mul(a));
                st0.intoArray(state, s);
                st1.intoArray(state, s + headdim);
                acc0 = st0.fma(FloatVector.broadcast(F, bc[b + n + i]), acc0);
                acc1 = st1.fma(FloatVector.broadcast(F, bc[b + n + i + 1]), acc1);
            }
            if (i < n) {
                int s = base + i * headdim + v;
                FloatVector st = xv.fma(FloatVector.broadcast(F, step * bc[b + i]), FloatVector.fromArray(F, state, s).mul(a));
                st.intoArray(state, s);
                acc0 = st.fma(FloatVector.broadcast(F, bc[b + n + i]), acc0);
            }
            acc0.add(acc1).intoArray(y, xo + v);
        }
    }

    /**
     * The fewest heads of {@code headdim} channels that fill whole vectors side by side: 1 when a head does by itself,
     * else LANES / gcd(headdim, LANES) (2 for 8 channels with 16 lanes, 4 for 12).
     */
    static int packedHeads(int headdim) {
        return LANES / gcd(headdim, LANES);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    /**
     * {@link #scanHeads} for {@code count} heads (a multiple of {@link #packedHeads}) that do not fill whole vectors
     * by themselves: their channels, side by side, are cut into vectors whose lanes may belong to different heads, so
     * decay, step and skip go lane by lane (B and C are shared by all heads). State: N x LANES floats per vector.
     * The loop over state rows repeats scanToken's single-vector loop with lane-wise factors: shared as one helper
     * method it measured 3 to 4 times slower (bench-encoder's scan line: 0.77 against 0.21 ms an image-layer at CIFAR's shape).
     */
    private static void scanPackedHeads(float[] x, float[] y, int xStride, int headdim, float[] bc, int n, float[] dt,
                                        float[] decay, int hStride, int head0, int count, float[] skip, int row0, int len) {
        int vectors = count * headdim / LANES;
        float[] states = new float[vectors * n * LANES];
        float[] lanes = new float[3 * LANES];
        for (int t = 0; t < len; t++) {
            int row = row0 + t;
            int b = row * 2 * n;
            for (int v = 0; v < vectors; v++) {
                int col = head0 * headdim + v * LANES;
                for (int j = 0; j < LANES; j++) {
                    int head = (col + j) / headdim;
                    lanes[j] = decay[row * hStride + head];
                    lanes[LANES + j] = dt[row * hStride + head];
                    lanes[2 * LANES + j] = skip[head];
                }
                FloatVector a = FloatVector.fromArray(F, lanes, 0);
                FloatVector xv = FloatVector.fromArray(F, x, row * xStride + col);
                FloatVector xs = xv.mul(FloatVector.fromArray(F, lanes, LANES));
                FloatVector acc0 = xv.mul(FloatVector.fromArray(F, lanes, 2 * LANES));
                FloatVector acc1 = FloatVector.zero(F);
                int i = 0;
                for (int s = v * n * LANES; i + 1 < n; i += 2, s += 2 * LANES) {
                    FloatVector st0 = xs.fma(FloatVector.broadcast(F, bc[b + i]), FloatVector.fromArray(F, states, s).mul(a));
                    FloatVector st1 = xs.fma(FloatVector.broadcast(F, bc[b + i + 1]),
                            FloatVector.fromArray(F, states, s + LANES).mul(a));
                    st0.intoArray(states, s);
                    st1.intoArray(states, s + LANES);
                    acc0 = st0.fma(FloatVector.broadcast(F, bc[b + n + i]), acc0);
                    acc1 = st1.fma(FloatVector.broadcast(F, bc[b + n + i + 1]), acc1);
                }
                if (i < n) {
                    int s = v * n * LANES + i * LANES;
                    FloatVector st = xs.fma(FloatVector.broadcast(F, bc[b + i]), FloatVector.fromArray(F, states, s).mul(a));
                    st.intoArray(states, s);
                    acc0 = st.fma(FloatVector.broadcast(F, bc[b + n + i]), acc0);
                }
                acc0.add(acc1).intoArray(y, row * xStride + col);
            }
        }
    }

    /** One head of {@link #scanHeads} one channel at a time, for heads narrower than (or not a multiple of) a vector. */
    private static void scanHeadScalar(float[] x, float[] y, int xStride, int col, int headdim, float[] bc, int n,
                                       float[] dt, float[] decay, int hStride, int head, float skip, int row0, int len) {
        float[] state = new float[n * headdim];
        for (int t = 0; t < len; t++) {
            int row = row0 + t;
            float a = decay[row * hStride + head];
            float step = dt[row * hStride + head];
            int b = row * 2 * n;
            int xo = row * xStride + col;
            for (int p = 0; p < headdim; p++) {
                float acc = skip * x[xo + p];
                for (int i = 0, s = p; i < n; i++, s += headdim) {
                    float st = state[s] * a + step * bc[b + i] * x[xo + p];
                    state[s] = st;
                    acc += st * bc[b + n + i];
                }
                y[xo + p] = acc;
            }
        }
    }

    /** Gated RMSNorm in place on rows [from, to): {@code y = rmsnorm(y * silu(z)) * weight}, width {@code d}. */
    static void gateRmsNorm(float[] y, float[] z, int from, int to, int d, float[] weight, float eps) {
        for (int r = from; r < to; r++) {
            int o = r * d;
            FloatVector acc = FloatVector.zero(F);
            int c = 0;
            for (; c <= d - LANES; c += LANES) {
                FloatVector g = FloatVector.fromArray(F, y, o + c).mul(silu(FloatVector.fromArray(F, z, o + c)));
                g.intoArray(y, o + c);
                acc = g.fma(g, acc);
            }
            float ss = acc.reduceLanes(VectorOperators.ADD);
            for (; c < d; c++) {
                float g = y[o + c] * silu(z[o + c]);
                y[o + c] = g;
                ss += g * g;
            }
            float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
            FloatVector s = FloatVector.broadcast(F, inv);
            c = 0;
            for (; c <= d - LANES; c += LANES) {
                FloatVector.fromArray(F, y, o + c).mul(s).mul(FloatVector.fromArray(F, weight, c)).intoArray(y, o + c);
            }
            for (; c < d; c++) {
                y[o + c] = y[o + c] * inv * weight[c];
            }
        }
    }

    /** {@code a[i] += b[i]} for i in [from, to). */
    static void addInPlace(float[] a, float[] b, int from, int to) {
        int i = from;
        for (; i <= to - LANES; i += LANES) {
            FloatVector.fromArray(F, a, i).add(FloatVector.fromArray(F, b, i)).intoArray(a, i);
        }
        for (; i < to; i++) {
            a[i] += b[i];
        }
    }

    /**
     * The step sizes and decays of one token's {@code heads} heads: {@code dt[o + j] = softplus(raw[r + j] + bias[j])}
     * (the identity above 20) and {@code decay[o + j] = exp(dt[o + j] * a[j])}.
     */
    static void stepAndDecay(float[] raw, int r, float[] bias, float[] a, float[] dt, float[] decay, int o, int heads) {
        int j = 0;
        for (; j <= heads - LANES; j += LANES) {
            FloatVector v = FloatVector.fromArray(F, raw, r + j).add(FloatVector.fromArray(F, bias, j));
            FloatVector step = v.lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P).blend(v, v.compare(VectorOperators.GT, 20f));
            step.intoArray(dt, o + j);
            step.mul(FloatVector.fromArray(F, a, j)).lanewise(VectorOperators.EXP).intoArray(decay, o + j);
        }
        for (; j < heads; j++) {
            float v = raw[r + j] + bias[j];
            float step = v > 20f ? v : (float) Math.log1p(Math.exp(v));
            dt[o + j] = step;
            decay[o + j] = (float) Math.exp(step * a[j]);
        }
    }

    private static float sum(float[] a, int off, int len) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= len - LANES; i += LANES) {
            acc = acc.add(FloatVector.fromArray(F, a, off + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < len; i++) {
            s += a[off + i];
        }
        return s;
    }

    private static FloatVector silu(FloatVector v) {
        return v.div(v.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    private static float silu(float v) {
        return (float) (v / (1.0 + Math.exp(-v)));
    }
}
