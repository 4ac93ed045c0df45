package dev.mmr.eval;

import java.util.List;

/**
 * The encoded form of an image set by one submodel: per image (in source order, unreadable images
 * left out) its id, label, L2-normalised embedding (row-major, {@code dim} wide) and the class the
 * classifier head predicts; plus the seconds spent in the encoder alone, for images/s.
 */
public record Embeddings(List<String> ids, List<String> labels, int dim, float[] vectors, int[] predictedClass,
                         double encodeSeconds, int skipped) {

    public Embeddings {
        int n = ids.size();
        if (labels.size() != n || predictedClass.length != n || vectors.length != (long) n * dim) {
            throw new IllegalArgumentException("ids, labels, predictions and vectors disagree on the image count " + n);
        }
    }

    public int size() {
        return ids.size();
    }

    /** Images per second through the encoder alone (decoding and preprocessing excluded). */
    public double imagesPerSecond() {
        return encodeSeconds > 0 ? size() / encodeSeconds : 0;
    }
}
