package dev.mmr.indexer;

/**
 * One search result.
 *
 * @param similarity the dot product of the query with the image's embedding (cosine, as both are unit vectors);
 *                   approximate when the index is quantized and the hit comes from {@link ImageIndex#search}
 */
public record Hit(ImageRecord image, float similarity) {
}
