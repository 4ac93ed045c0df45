package dev.mmr.indexer;

import dev.mmr.indexer.source.ImageEntry;
import java.io.Closeable;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes a store: images replaced by id, deletes, and commits that record what produced the store. Opening checks
 * the store's recorded model (fingerprint, dimension) against the writer's and creates the store when missing.
 * Changes become durable and visible at {@link #commit}. {@link #put} may be called from several threads.
 */
public interface ImageStoreWriter extends Closeable {
    /** The HNSW settings in force: those recorded in an existing store, or those it was created with. */
    IndexSettings settings();

    /** Whether an image with this id was committed when this writer opened (a rerun skips it). */
    boolean committed(String id);

    /**
     * Adds images, each replacing any image with the same id. Embeddings must be L2-normalised and full-width.
     *
     * @param embeddings one per entry, in the same order
     */
    void put(List<ImageEntry> entries, List<float[]> embeddings) throws IOException;

    /** Adds one image, replacing any image with the same id. */
    default void put(ImageEntry entry, float[] embedding) throws IOException {
        put(List.of(entry), List.of(embedding));
    }

    /**
     * Deletes images by id, all or none: when any id is not in the store, nothing is deleted.
     *
     * @throws IllegalArgumentException naming the unknown ids
     */
    void delete(Collection<String> ids) throws IOException;

    /**
     * Makes every change so far durable and visible, recording the model identity, settings, image count and
     * {@code progress} (keys of {@link dev.mmr.indexer.IndexSchema}, merged over the previous commit's).
     */
    void commit(Map<String, String> progress) throws IOException;

    /**
     * {@link #commit} at the end of a run: also waits for the background work the writes started in this process (an
     * embedded index's segment merges) and makes its result durable, so that closing the writer throws none of it away.
     * A store whose server does that work itself just commits.
     */
    default void commitSettled(Map<String, String> progress) throws IOException {
        commit(progress);
    }

    /** Which store this is, for messages. */
    String describe();
}
