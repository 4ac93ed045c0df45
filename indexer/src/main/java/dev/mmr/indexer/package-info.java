/**
 * The image index: a Lucene HNSW index on disk holding one document per image with its full-width embedding.
 * {@link dev.mmr.indexer.ImageIndex} reads and searches it, {@link dev.mmr.indexer.ImageIndexWriter} writes it, and
 * {@link dev.mmr.indexer.BulkIndexer} fills it from a source, resumably; {@link dev.mmr.indexer.Progress} shows long
 * tasks (indexing here, encoding and searching in eval) to the people waiting for them.
 */
package dev.mmr.indexer;
