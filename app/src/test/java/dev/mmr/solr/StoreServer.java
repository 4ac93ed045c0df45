package dev.mmr.solr;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageStore;
import dev.mmr.search.Reports;
import dev.mmr.search.SearchServer;
import dev.mmr.search.SearchService;
import dev.mmr.search.ServiceLimits;
import java.nio.file.Path;

/** The search API over any store, started as the search API's own tests start it. */
public record StoreServer(SearchService service, SearchServer server) implements AutoCloseable {
    public static StoreServer start(MatMambaModel model, ImageStore store, Path reports) {
        SearchService service = new SearchService(model, store, new Reports(reports), ServiceLimits.defaults());
        return new StoreServer(service, SearchServer.start(service, "127.0.0.1", 0));
    }

    @Override
    public void close() {
        server.close();
        service.close();
    }
}
