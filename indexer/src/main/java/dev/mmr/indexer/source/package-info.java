/**
 * Where images come from: an ImageFolder tree, a tar archive of one read in place, or a manifest. Each source
 * yields {@link dev.mmr.indexer.source.ImageEntry entries} with a stable id, in a stable order.
 */
package dev.mmr.indexer.source;
