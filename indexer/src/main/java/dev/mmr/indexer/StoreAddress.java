package dev.mmr.indexer;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/** Where a store lives, as named on the command line. */
public sealed interface StoreAddress {
    /** Where a bulk run lists the images it could not index, unless told otherwise. */
    Path defaultRejectsFile();

    /** Where images uploaded through the search API's write API are kept, so the store can read them back. */
    Path defaultUploadsFolder();

    /** An embedded Lucene index in a folder ({@code --index DIR}). */
    record LocalIndex(Path folder) implements StoreAddress {
        public LocalIndex {
            Objects.requireNonNull(folder, "folder");
        }

        @Override
        public Path defaultRejectsFile() {
            return folder.resolve("rejects.tsv");
        }

        @Override
        public Path defaultUploadsFolder() {
            return folder.resolve("uploads");
        }

        @Override
        public String toString() {
            return "index " + folder;
        }
    }

    /**
     * A SolrCloud collection ({@code --solr URL --collection NAME}).
     *
     * @param solr     base URLs of one or more nodes, e.g. {@code http://127.0.0.1:8983/solr}; the client learns the
     *                 others from the cluster
     * @param shards   shards of the collection when it is created
     * @param replicas replicas of each shard when it is created
     */
    record SolrCollection(List<URI> solr, String collection, int shards, int replicas) implements StoreAddress {
        public SolrCollection {
            solr = List.copyOf(solr);
            if (solr.isEmpty()) throw new IllegalArgumentException("--solr needs the URL of at least one Solr node");
            for (URI node : solr)
                if (!"http".equals(node.getScheme()) && !"https".equals(node.getScheme()))
                    throw new IllegalArgumentException("--solr takes http(s) URLs of Solr nodes, e.g. http://127.0.0.1:8983/solr; got " + node);
            if (collection == null || !collection.matches("[A-Za-z0-9][A-Za-z0-9._-]*"))
                throw new IllegalArgumentException("--collection must be letters, digits, '.', '_' or '-'; got " + collection);
            if (shards < 1 || replicas < 1) throw new IllegalArgumentException("--shards and --replicas must be at least 1");
        }

        @Override
        public Path defaultRejectsFile() {
            return Path.of("rejects-" + collection + ".tsv");
        }

        @Override
        public Path defaultUploadsFolder() {
            return Path.of("uploads-" + collection);
        }

        @Override
        public String toString() {
            return "collection " + collection + " at " + solr.get(0) + (solr.size() > 1 ? " (+" + (solr.size() - 1) + " nodes)" : "");
        }
    }
}
