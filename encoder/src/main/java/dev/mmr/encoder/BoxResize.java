package dev.mmr.encoder;

/**
 * Antialiased downscaling with a box filter, computed as PIL's {@code Image.resize(size, Image.BOX)} does on float
 * images: separable, horizontal pass then vertical; each output pixel averages the input pixels whose centres fall
 * in its footprint ({@code precompute_coeffs} of PIL's Resample.c), with double accumulation and no rounding between
 * the passes. Enlarging degrades to nearest-neighbour, as in PIL.
 * Written here rather than taken from an imaging library because the trained models saw PIL's exact pixels: Java2D's
 * and the common Java resizers filter differently, and the parity tests hold the encoder to PIL's output.
 */
final class BoxResize {

    private record Coefficients(int[] first, int[] count, double[][] weights) { }

    private BoxResize() {
    }

    /**
     * Resizes the square {@code side × side} region at ({@code left}, {@code top}) of an RGB image to
     * {@code size × size}; returns three planes (R, G, B) of values in [0, 1], row-major.
     */
    static float[][] resize(RgbRows rgb, int left, int top, int side, int size) {
        Coefficients k = coefficients(side, size);
        float[][] horizontal = new float[3][side * size];
        int[] row = new int[side];
        for (int y = 0; y < side; y++) {
            rgb.read(top + y, left, side, row, 0);
            for (int xx = 0; xx < size; xx++) {
                double r = 0;
                double g = 0;
                double b = 0;
                double[] w = k.weights[xx];
                for (int i = 0, x = k.first[xx]; i < k.count[xx]; i++, x++) {
                    int p = row[x];
                    r += ((p >> 16) & 0xff) * w[i];
                    g += ((p >> 8) & 0xff) * w[i];
                    b += (p & 0xff) * w[i];
                }
                horizontal[0][y * size + xx] = (float) r;
                horizontal[1][y * size + xx] = (float) g;
                horizontal[2][y * size + xx] = (float) b;
            }
        }
        float[][] out = new float[3][size * size];
        for (int c = 0; c < 3; c++) {
            float[] in = horizontal[c];
            for (int yy = 0; yy < size; yy++) {
                double[] w = k.weights[yy];
                for (int xx = 0; xx < size; xx++) {
                    double sum = 0;
                    for (int i = 0, y = k.first[yy]; i < k.count[yy]; i++, y++) {
                        sum += in[y * size + xx] * w[i];
                    }
                    out[c][yy * size + xx] = (float) sum / 255f;
                }
            }
        }
        return out;
    }

    /** PIL's box-filter coefficients for {@code inSize → outSize}: per output pixel, its first input and normalised weights. */
    private static Coefficients coefficients(int inSize, int outSize) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = 0.5 * filterScale;
        int[] first = new int[outSize];
        int[] count = new int[outSize];
        double[][] weights = new double[outSize][];
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
            count[xx] = xmax;
            weights[xx] = w;
        }
        return new Coefficients(first, count, weights);
    }

    private static double box(double x) {
        return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
    }
}
