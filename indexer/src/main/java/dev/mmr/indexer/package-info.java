/** Encodes image corpora once at full width into an on-disk Lucene HNSW index; resumable, with progress. */
package dev.mmr.indexer;
