package dev.mmr.indexer;

import dev.mmr.encoder.MatMambaModel;
import java.io.IOException;

/**
 * One kind of store. Implementations are listed in {@code META-INF/services/dev.mmr.indexer.StoreProvider}
 * and found by {@link Stores}; a module adds a kind of store without the commands knowing it.
 */
public interface StoreProvider {
    /** Whether this provider serves stores at such addresses. */
    boolean serves(StoreAddress address);

    /**
     * Opens an existing store for reading.
     *
     * @param model the model whose queries will be searched (fingerprint and dimension checked); null skips the check
     */
    ImageStore open(StoreAddress address, MatMambaModel model) throws IOException;

    /**
     * Opens a store for writing.
     *
     * @param model         the model whose embeddings are written (checked against an existing store's); null opens an
     *                      existing store for deletes only
     * @param settingsIfNew HNSW settings when the store is created
     */
    ImageStoreWriter openWriter(StoreAddress address, MatMambaModel model, IndexSettings settingsIfNew) throws IOException;
}
