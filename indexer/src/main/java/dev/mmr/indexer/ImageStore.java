package dev.mmr.indexer;

import java.io.Closeable;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Reads and searches a store of images with their full-width, L2-normalised embeddings. Thread-safe. Similarities
 * are dot products with the stored float32 embeddings (cosines, both vectors being unit vectors).
 */
public interface ImageStore extends Closeable {
    /** What the store holds and what produced it (keys of {@link dev.mmr.indexer.IndexSchema}) and its image count. */
    IndexInfo info() throws IOException;

    /** Embedding dimension. */
    int dimension();

    /** Number of images. */
    long size() throws IOException;

    /** Picks up changes committed since opening, where the store does not see them by itself; returns whether it did. */
    boolean refresh() throws IOException;

    /**
     * Approximate nearest neighbours through the HNSW graph.
     *
     * @param query    an L2-normalised query embedding of this store's dimension
     * @param filter   only images it lets through; null for all
     * @param efSearch candidates explored (at least k is used): larger is slower and closer to exact
     * @return up to k hits, most similar first
     */
    List<Hit> search(float[] query, int k, ImageFilter filter, int efSearch) throws IOException;

    /** Exact nearest neighbours: every image the filter (null for all) lets through is scored. */
    List<Hit> exactSearch(float[] query, int k, ImageFilter filter) throws IOException;

    /** The stored metadata of an image (id, where its bytes live, label, fields), if the id is in the store. */
    Optional<ImageRecord> get(String id) throws IOException;

    /** The stored embedding of an image exactly as indexed, if the id is in the store. */
    Optional<float[]> vector(String id) throws IOException;

    /** Receives each image with its embedding, for {@link #forEach}. */
    @FunctionalInterface
    interface ImageConsumer {
        void accept(ImageRecord image, float[] embedding) throws IOException;
    }

    /** Visits every image with its embedding (e.g. to export or evaluate the whole corpus). */
    void forEach(ImageConsumer consumer) throws IOException;

    /** Which store this is, for messages: e.g. {@code index runs/cifar} or {@code collection c at http://...}. */
    String describe();
}
