/**
 * The store seam: where images and their full-width embeddings live. {@link dev.mmr.indexer.store.ImageStoreWriter}
 * is what the bulk pipeline and the write commands write through, {@link dev.mmr.indexer.store.ImageStore} what search
 * reads through. {@link dev.mmr.indexer.store.Stores} opens the implementation that serves a
 * {@link dev.mmr.indexer.store.StoreAddress}, found at run time among the {@link dev.mmr.indexer.store.StoreProvider}s
 * on the classpath: the embedded Lucene index of this module, or a SolrCloud collection (module {@code solr-store}).
 */
package dev.mmr.indexer.store;
