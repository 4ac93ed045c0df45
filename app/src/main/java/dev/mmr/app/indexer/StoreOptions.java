package dev.mmr.app.indexer;

import dev.mmr.indexer.StoreAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The command-line options that name a store: {@code --index DIR}, or {@code --solr URL --collection NAME} (with
 * {@code --shards}/{@code --replicas} for a collection yet to be created). A picocli mixin.
 */
public final class StoreOptions {
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Where where;

    static final class Where {
        @Option(names = "--index", description = "index folder (an embedded Lucene index)")
        Path index;

        @ArgGroup(exclusive = false)
        Solr solr;
    }

    static final class Solr {
        @Option(names = "--solr", required = true, split = ",",
                description = "SolrCloud node URL(s), comma-separated, e.g. http://127.0.0.1:8983/solr (instead of --index)")
        List<URI> url;

        @Option(names = "--collection", required = true, description = "the SolrCloud collection")
        String collection;

        @Option(names = "--shards", defaultValue = "1", description = "shards, when the collection is created (default: ${DEFAULT-VALUE})")
        int shards;

        @Option(names = "--replicas", defaultValue = "1", description = "replicas per shard, when the collection is created (default: ${DEFAULT-VALUE})")
        int replicas;
    }

    /** Whether a store was named. */
    public boolean given() {
        return where != null;
    }

    /** The store named on the command line. */
    public StoreAddress address() {
        if (where == null) throw new IllegalArgumentException("name the store: --index DIR, or --solr URL --collection NAME");
        if (where.index != null) return new StoreAddress.LocalIndex(where.index);
        return new StoreAddress.SolrCollection(where.solr.url, where.solr.collection, where.solr.shards, where.solr.replicas);
    }
}
