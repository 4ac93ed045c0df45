package dev.mmr.indexer.source;

import java.util.Map;
import java.util.Objects;

/**
 * One image of a source, before its bytes are read.
 *
 * @param id     stable identifier: the path relative to the source root (folder, archive) or the manifest's id
 * @param path   where the bytes live: a file path, or {@code archive!/entry} for an archive member ({@link ArchiveMember#parse})
 * @param label  class label (the parent folder name, or the manifest's label column); null when there is none
 * @param fields extra manifest fields, name to value; empty for folder and archive sources
 */
public record ImageEntry(String id, String path, String label, Map<String, String> fields) {
    public ImageEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(path, "path");
        if (id.isEmpty()) throw new IllegalArgumentException("an image id must not be empty");
        fields = Map.copyOf(fields);
    }
}
