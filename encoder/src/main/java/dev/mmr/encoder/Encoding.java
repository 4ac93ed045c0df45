package dev.mmr.encoder;

/**
 * The encoder's outputs for a batch, row-major: {@code features} (batch x dim, norm_f at the [CLS] token),
 * {@code embeddings} (the same rows L2-normalised, for retrieval) and {@code logits} (batch x nClasses).
 */
public record Encoding(int batch, int dim, int nClasses, float[] features, float[] embeddings, float[] logits) {

    /** The D-dimensional feature of image i. */
    public float[] feature(int i) {
        return row(features, i, dim);
    }

    /** The L2-normalised embedding of image i. */
    public float[] embedding(int i) {
        return row(embeddings, i, dim);
    }

    /** The class logits of image i. */
    public float[] logits(int i) {
        return row(logits, i, nClasses);
    }

    private float[] row(float[] data, int i, int width) {
        if (i < 0 || i >= batch) {
            throw new IndexOutOfBoundsException("image " + i + " of a batch of " + batch);
        }
        float[] out = new float[width];
        System.arraycopy(data, i * width, out, 0, width);
        return out;
    }
}
