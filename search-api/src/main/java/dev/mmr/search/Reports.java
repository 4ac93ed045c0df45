package dev.mmr.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The eval reports under a folder: each {@code report.json} (in the folder itself or one level down) with the
 * HTML page beside it. Rows carry at least {@code name, kind, widths, gflop, top1_1nn, map10, head_top1}; a
 * submodel's measured quality is the row whose per-layer widths equal its own. Read anew on each call, so a
 * report written while the service runs shows up.
 */
public final class Reports {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path folder;

    /** One report: its folder name relative to the reports folder, its HTML page's URL (if any), its rows. */
    record Report(String name, String htmlUrl, List<Map<String, Object>> rows) {
    }

    public Reports(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    List<Report> list() {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Report> reports = new ArrayList<>();
        try (Stream<Path> files = Files.find(folder, 2, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("report.json"))) {
            for (Path file : files.sorted().toList()) {
                read(file).ifPresent(reports::add);
            }
        } catch (IOException e) {
            return reports;
        }
        return reports;
    }

    /** The report rows measured for a submodel with these per-layer widths, one per report that has it. */
    List<Map<String, Object>> qualityOf(int[] perLayer) {
        List<Map<String, Object>> found = new ArrayList<>();
        for (Report report : list()) {
            for (Map<String, Object> row : report.rows()) {
                if (!"baseline".equals(row.get("kind")) && Arrays.equals(widthsOf(row.get("widths")), perLayer)) {
                    Map<String, Object> quality = new java.util.LinkedHashMap<>();
                    quality.put("report", report.name());
                    for (String metric : List.of("top1_1nn", "map10", "head_top1")) {
                        quality.put(metric, row.get(metric));
                    }
                    found.add(quality);
                }
            }
        }
        return found;
    }

    private Optional<Report> read(Path file) {
        try {
            JsonNode root = JSON.readTree(file.toFile());
            JsonNode rows = root.isArray() ? root : root.path("rows");
            if (!rows.isArray()) {
                return Optional.empty();
            }
            List<Map<String, Object>> parsed = new ArrayList<>();
            for (JsonNode row : rows) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = JSON.convertValue(row, Map.class);
                parsed.add(map);
            }
            Path dir = file.getParent();
            String name = folder.relativize(dir).toString().replace('\\', '/');
            Path html = dir.resolve("index.html");
            String htmlUrl = Files.isRegularFile(html) ? "/reports/" + (name.isEmpty() ? "" : name + "/") + "index.html" : null;
            return Optional.of(new Report(name.isEmpty() ? "." : name, htmlUrl, parsed));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static int[] widthsOf(Object value) {
        if (value instanceof List<?> list) {
            return list.stream().mapToInt(v -> v instanceof Number n ? n.intValue() : -1).toArray();
        }
        return null;
    }
}
