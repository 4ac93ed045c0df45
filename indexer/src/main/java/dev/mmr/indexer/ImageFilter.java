package dev.mmr.indexer;

import java.util.List;
import java.util.Map;

/**
 * Which images a search may return: any of {@code labels} (none given: any label) and every {@code fields} value
 * (manifest field name to the exact value). Each store translates it into its own filter query.
 */
public record ImageFilter(List<String> labels, Map<String, String> fields) {
    /** Every image. */
    public static final ImageFilter ALL = new ImageFilter(List.of(), Map.of());

    public ImageFilter {
        labels = List.copyOf(labels);
        fields = Map.copyOf(fields);
    }

    public static ImageFilter label(String... labels) {
        return new ImageFilter(List.of(labels), Map.of());
    }

    public static ImageFilter field(String name, String value) {
        return new ImageFilter(List.of(), Map.of(name, value));
    }

    /** Whether it lets every image through. */
    public boolean isAll() {
        return labels.isEmpty() && fields.isEmpty();
    }
}
