package dev.mmr.solr;

import java.io.Closeable;
import java.io.IOException;

/** What the reader and the writer of one collection share: the connection, described by its address and closed with them. */
abstract class CollectionHandle implements Closeable {
    final SolrCollection collection;

    CollectionHandle(SolrCollection collection) {
        this.collection = collection;
    }

    public String describe() {
        return collection.address.toString();
    }

    @Override
    public void close() throws IOException {
        collection.close();
    }
}
