package dev.mmr.indexer.source;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One image of a source, before its bytes are read.
 *
 * @param id     stable identifier: the path relative to the source root (folder, archive) or the manifest's id
 * @param location where the bytes live: a file, or a member of an archive
 * @param label  class label (the parent folder name, or the manifest's label column); null when there is none
 * @param fields extra manifest fields, name to value; empty for folder and archive sources
 */
public record ImageEntry(String id, ImageLocation location, String label, Map<String, String> fields) {
    /** The index's own field names (the document layout of {@code IndexSchema}); an extra field may not take them. */
    public static final String ID = "id";
    public static final String PATH = "path";
    public static final String LABEL = "label";
    public static final String EMBEDDING = "embedding";
    public static final Set<String> RESERVED_FIELDS = Set.of(ID, PATH, LABEL, EMBEDDING);

    public ImageEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(location, "location");
        if (id.isEmpty()) throw new IllegalArgumentException("an image id must not be empty");
        fields = Map.copyOf(fields);
    }
}
