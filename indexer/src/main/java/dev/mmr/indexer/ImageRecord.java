package dev.mmr.indexer;

import dev.mmr.indexer.source.ImageLocation;
import java.util.Map;

/**
 * The stored metadata of one indexed image.
 *
 * @param location where its bytes were found when it was indexed
 * @param label  null when the image has none
 * @param fields manifest fields, name to value
 */
public record ImageRecord(String id, ImageLocation location, String label, Map<String, String> fields) {
    public ImageRecord {
        fields = Map.copyOf(fields);
    }
}
