package dev.mmr.indexer.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import dev.mmr.encoder.RegularFiles;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A manifest listing images: CSV with a header row, or JSON Lines with one object per line. Columns/keys {@code id}
 * and {@code path} are required, {@code label} is optional, and every other column becomes a stored, filterable field.
 * Relative paths resolve against the manifest's folder. The whole manifest is validated when opened (duplicate ids,
 * missing columns, bad field names), so a bad manifest changes nothing. Rows are visited in file order.
 */
public final class ManifestSource implements ImageSource {
    /** Largest manifest read (every row is held in memory while the whole manifest is validated). */
    public static final long MAX_MANIFEST_BYTES = 256L << 20;

    private final Path manifest;
    private final List<ImageEntry> entries;
    private volatile int visited;

    private ManifestSource(Path manifest, List<ImageEntry> entries) {
        this.manifest = manifest;
        this.entries = entries;
    }

    static ManifestSource open(Path manifest) throws IOException {
        Path file = manifest.toAbsolutePath().normalize();
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        List<Map<String, String>> rows = name.endsWith(".csv") ? readCsv(file) : readJsonLines(file);
        Path base = file.getParent();
        List<ImageEntry> entries = new ArrayList<>(rows.size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < rows.size(); i++) {
            String where = file.getFileName() + " row " + (i + 1);
            Map<String, String> row = new LinkedHashMap<>(rows.get(i));
            String id = row.remove(ImageEntry.ID);
            String path = row.remove(ImageEntry.PATH);
            String label = row.remove(ImageEntry.LABEL);
            if (id == null || id.isBlank()) throw new IOException(where + ": missing id");
            if (path == null || path.isBlank()) throw new IOException(where + ": missing path");
            if (!ids.add(id)) throw new IOException(where + ": duplicate id '" + id + "'");
            row.values().removeIf(String::isEmpty);
            for (String field : row.keySet()) {
                try {
                    ImageEntry.checkFieldName(field);
                } catch (IllegalArgumentException e) {
                    throw new IOException(where + ": " + e.getMessage());
                }
            }
            entries.add(new ImageEntry(id, new ImageLocation.File(base.resolve(path).normalize()),
                    label == null || label.isEmpty() ? null : label, row));
        }
        return new ManifestSource(file, entries);
    }

    private static List<Map<String, String>> readCsv(Path file) throws IOException {
        CsvMapper mapper = new CsvMapper();
        mapper.enable(CsvParser.Feature.TRIM_SPACES);
        List<Map<String, String>> rows = new ArrayList<>();
        try (Reader reader = textOf(file);
             MappingIterator<Map<String, String>> it = mapper.readerForMapOf(String.class)
                     .with(CsvSchema.emptySchema().withHeader().withStrictHeaders(false)).readValues(reader)) {
            while (it.hasNextValue()) rows.add(it.nextValue());
        } catch (RuntimeException e) {
            throw new IOException(file.getFileName() + ": malformed CSV: " + e.getMessage(), e);
        }
        return rows;
    }

    private static List<Map<String, String>> readJsonLines(Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        List<Map<String, String>> rows = new ArrayList<>();
        try (BufferedReader reader = textOf(file)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = mapper.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IOException(file.getFileName() + " line " + number + ": not JSON: " + e.getOriginalMessage());
                }
                if (!node.isObject()) throw new IOException(file.getFileName() + " line " + number + ": not a JSON object");
                Map<String, String> row = new LinkedHashMap<>();
                for (var field : node.properties()) {
                    JsonNode value = field.getValue();
                    if (value.isNull()) continue;
                    if (!value.isValueNode())
                        throw new IOException(file.getFileName() + " line " + number + ": field '" + field.getKey() + "' must be a string, number or boolean");
                    row.put(field.getKey(), value.asText());
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** The manifest as text: a regular file (not a device or FIFO) of at most {@link #MAX_MANIFEST_BYTES}. */
    private static BufferedReader textOf(Path file) throws IOException {
        return new BufferedReader(new InputStreamReader(RegularFiles.open(file, MAX_MANIFEST_BYTES), StandardCharsets.UTF_8.newDecoder()));
    }

    /** Number of images listed. */
    public int size() {
        return entries.size();
    }

    @Override
    public void scan(Visitor visitor) throws IOException, InterruptedException {
        for (ImageEntry entry : entries) {
            visited++;
            Path file = ((ImageLocation.File) entry.location()).path();
            if (!visitor.visit(entry, () -> FolderSource.readImage(file))) return;
        }
    }

    @Override
    public double fractionScanned() {
        return entries.isEmpty() ? 1 : (double) visited / entries.size();
    }

    @Override
    public String describe() {
        return "manifest " + manifest;
    }
}
