package dev.mmr.solr;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStore;
import dev.mmr.indexer.ImageStoreWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.StoreAddress;
import dev.mmr.indexer.StoreProvider;
import java.io.IOException;

/** A SolrCloud collection ({@code --solr URL --collection NAME}) as a store. */
public final class SolrStoreProvider implements StoreProvider {
    @Override
    public boolean serves(StoreAddress address) {
        return address instanceof StoreAddress.SolrCollection;
    }

    @Override
    public ImageStore open(StoreAddress address, MatMambaModel model) throws IOException {
        return SolrImageStore.open((StoreAddress.SolrCollection) address, model);
    }

    @Override
    public ImageStoreWriter openWriter(StoreAddress address, MatMambaModel model, IndexSettings settingsIfNew) throws IOException {
        return SolrImageWriter.open((StoreAddress.SolrCollection) address, model, settingsIfNew);
    }
}
