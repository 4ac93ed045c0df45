package dev.mmr.indexer;

import dev.mmr.encoder.MatMambaModel;
import java.io.IOException;

/** The embedded Lucene index in a folder ({@code --index DIR}) as a store. */
public final class LuceneStoreProvider implements StoreProvider {
    @Override
    public boolean serves(StoreAddress address) {
        return address instanceof StoreAddress.LocalIndex;
    }

    @Override
    public ImageStore open(StoreAddress address, MatMambaModel model) throws IOException {
        var folder = ((StoreAddress.LocalIndex) address).folder();
        return model == null ? ImageIndex.open(folder) : ImageIndex.open(folder, model);
    }

    @Override
    public ImageStoreWriter openWriter(StoreAddress address, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        var folder = ((StoreAddress.LocalIndex) address).folder();
        return model == null ? ImageIndexWriter.openExisting(folder) : ImageIndexWriter.open(folder, model, settingsIfNew);
    }
}
