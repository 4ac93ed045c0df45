package dev.mmr.indexer;

import java.util.Map;

/**
 * The stored metadata of one indexed image.
 *
 * @param label  null when the image has none
 * @param fields manifest fields, name to value
 */
public record ImageRecord(String id, String path, String label, Map<String, String> fields) {
    public ImageRecord {
        fields = Map.copyOf(fields);
    }
}
