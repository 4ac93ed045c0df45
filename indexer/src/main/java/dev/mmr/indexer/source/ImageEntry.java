package dev.mmr.indexer.source;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

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
    /** What an extra field may be called, wherever it comes from (a manifest, {@code mmr add}, the write API). */
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]{0,63}");

    public ImageEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(location, "location");
        if (id.isEmpty()) throw new IllegalArgumentException("an image id must not be empty");
        fields = Map.copyOf(fields);
    }

    /**
     * Checks the name of an extra field.
     *
     * @throws IllegalArgumentException when it is not 1 to 64 letters, digits, {@code _ . -} starting with a letter or
     *                                  {@code _}, or is one of the index's own names
     */
    public static void checkFieldName(String name) {
        if (name == null || !FIELD_NAME.matcher(name).matches() || RESERVED_FIELDS.contains(name)) {
            throw new IllegalArgumentException("field name '" + name + "' is not allowed (1 to 64 letters, digits, _ . -, starting"
                    + " with a letter or _; not one of " + RESERVED_FIELDS + ")");
        }
    }
}
