/**
 * The image store and the embedded Lucene index behind it. The store seam is {@link dev.mmr.indexer.ImageStoreWriter},
 * what the bulk pipeline and the write commands write through, and {@link dev.mmr.indexer.ImageStore}, what search
 * reads through; {@link dev.mmr.indexer.Stores} opens the implementation that serves a
 * {@link dev.mmr.indexer.StoreAddress}, found at run time among the {@link dev.mmr.indexer.StoreProvider}s on the
 * classpath. This module's own store is a Lucene HNSW index on disk holding one document per image with its full-width
 * embedding ({@link dev.mmr.indexer.LuceneStoreProvider}: {@link dev.mmr.indexer.ImageIndex} reads and searches it,
 * {@link dev.mmr.indexer.ImageIndexWriter} writes it); module {@code solr-store} adds a SolrCloud collection.
 * {@link dev.mmr.indexer.BulkIndexer} fills a store from a source, resumably; {@link dev.mmr.indexer.Progress} shows
 * long tasks (indexing here, encoding and searching in eval) to the people waiting for them. The seam's types sit in
 * this package beside the records they take and return ({@link dev.mmr.indexer.Hit},
 * {@link dev.mmr.indexer.ImageRecord}, {@link dev.mmr.indexer.IndexInfo}, {@link dev.mmr.indexer.IndexSettings}), so
 * stores depend on the indexer and never the other way.
 */
package dev.mmr.indexer;
