package dev.mmr.indexer;

import dev.mmr.encoder.MatMambaModel;
import java.io.IOException;
import java.util.Objects;
import java.util.ServiceLoader;

/** The one factory of stores: the provider that serves an address, chosen at run time. */
public final class Stores {
    private Stores() {
    }

    /** Opens a store to search with queries of {@code model}; refuses a store built by another model. */
    public static ImageStore open(StoreAddress address, MatMambaModel model) throws IOException {
        return provider(address).open(address, Objects.requireNonNull(model, "model"));
    }

    /** Opens a store without checking which model built it (info, export). */
    public static ImageStore openUnchecked(StoreAddress address) throws IOException {
        return provider(address).open(address, null);
    }

    /** Opens (or creates, with {@code settingsIfNew}) a store for writing embeddings of {@code model}. */
    public static ImageStoreWriter openWriter(StoreAddress address, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        return provider(address).openWriter(address, Objects.requireNonNull(model, "model"), settingsIfNew);
    }

    /** Opens an existing store for deletes. */
    public static ImageStoreWriter openForDeletes(StoreAddress address) throws IOException {
        return provider(address).openWriter(address, null, null);
    }

    private static StoreProvider provider(StoreAddress address) {
        return ServiceLoader.load(StoreProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.serves(address)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no store for " + address + " on the classpath"
                        + (address instanceof StoreAddress.SolrCollection ? " (SolrCloud stores come with the solr-store module)" : "")));
    }
}
