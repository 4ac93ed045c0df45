package dev.mmr.encoder;

import java.util.Arrays;

/**
 * Antialiased downscaling with a box filter, computed as PIL's {@code Image.resize(size, Image.BOX)} does on float
 * images: separable, horizontal pass then vertical; each output pixel averages the input pixels whose centres fall
 * in its footprint ({@code precompute_coeffs} of PIL's Resample.c), with double accumulation and no rounding between
 * the passes. Enlarging degrades to nearest-neighbour, as in PIL.
 * Written here rather than taken from an imaging library because the trained models saw PIL's exact pixels: Java2D's
 * and the common Java resizers filter differently, and the parity tests hold the encoder to PIL's output.
 */
final class BoxResize {

    /**
     * Per output pixel, {@code taps} input pixels from {@code start[o]} and their weights at {@code weights[o·taps ..]}.
     * {@code taps} is the widest footprint; a narrower one is padded with zero weights inside the input, so that the
     * inner loops run a fixed count (a varying one costs a mispredicted branch per output pixel). A zero weight adds
     * {@code +0.0} to a sum of non-negative terms, so the sums are bit for bit those over the footprint alone.
     */
    private record Coefficients(int taps, int[] start, double[] weights) { }

    private BoxResize() {
    }

    /**
     * Resizes the square {@code side × side} region at ({@code left}, {@code top}) of an RGB image to
     * {@code size × size}; returns the three planes (R, G, B) one after the other, values in [0, 1], row-major.
     */
    static float[] resize(RgbRows rgb, int left, int top, int side, int size) {
        Coefficients k = coefficients(side, size);
        int taps = k.taps;
        int plane = side * size;
        float[] horizontal = new float[3 * plane];
        int[] row = new int[side];
        for (int y = 0; y < side; y++) {
            rgb.read(top + y, left, side, row, 0);
            for (int xx = 0; xx < size; xx++) {
                double r = 0;
                double g = 0;
                double b = 0;
                for (int i = 0, x = k.start[xx], j = xx * taps; i < taps; i++, x++, j++) {
                    int p = row[x];
                    double w = k.weights[j];
                    r += ((p >> 16) & 0xff) * w;
                    g += ((p >> 8) & 0xff) * w;
                    b += (p & 0xff) * w;
                }
                horizontal[y * size + xx] = (float) r;
                horizontal[plane + y * size + xx] = (float) g;
                horizontal[2 * plane + y * size + xx] = (float) b;
            }
        }
        // Vertical pass a row at a time, each input row's weighted values added to the output row's sums: the same
        // additions in the same order as per pixel, but over contiguous memory.
        float[] out = new float[3 * size * size];
        double[] sums = new double[size];
        for (int c = 0; c < 3; c++) {
            for (int yy = 0; yy < size; yy++) {
                Arrays.fill(sums, 0);
                for (int i = 0, y = k.start[yy], j = yy * taps; i < taps; i++, y++, j++) {
                    double w = k.weights[j];
                    int in = c * plane + y * size;
                    for (int xx = 0; xx < size; xx++) {
                        sums[xx] += horizontal[in + xx] * w;
                    }
                }
                int at = (c * size + yy) * size;
                for (int xx = 0; xx < size; xx++) {
                    out[at + xx] = (float) sums[xx] / 255f;
                }
            }
        }
        return out;
    }

    /** PIL's box-filter coefficients for {@code inSize → outSize}, padded to the widest footprint. */
    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 0.5 * filterScale;
        int[] first = new int[outSize];
        double[][] footprint = new double[outSize][];
        int taps = 0;
        for (int xx = 0; xx < outSize; xx++) {
            double center = (xx + 0.5) * scale;
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            double[] w = new double[xmax];
            double total = 0;
            for (int x = 0; x < xmax; x++) {
                w[x] = box((x + xmin - center + 0.5) / filterScale);
                total += w[x];
            }
            if (total != 0) {
                for (int x = 0; x < xmax; x++) {
                    w[x] /= total;
                }
            }
            first[xx] = xmin;
            footprint[xx] = w;
            taps = Math.max(taps, xmax);
        }
        int[] start = new int[outSize];
        double[] weights = new double[outSize * taps];
        for (int xx = 0; xx < outSize; xx++) {
            start[xx] = Math.min(first[xx], inSize - taps);
            System.arraycopy(footprint[xx], 0, weights, xx * taps + first[xx] - start[xx], footprint[xx].length);
        }
        return new Coefficients(taps, start, weights);
    }

    private static double box(double x) {
        return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
    }
}
