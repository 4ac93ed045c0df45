package dev.mmr.search;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mmr.eval.Report;
import dev.mmr.eval.ReportRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The eval reports under a folder: each {@code report.json} (in the folder itself or one level down), read as eval's
 * typed {@link Report}, with the HTML page beside it. A submodel's measured quality is the row whose per-layer widths
 * equal its own. Reports are kept in memory and read again only when a file's modification time or size changes, so
 * a report written while the service runs shows up without every search reading every report.
 */
public final class Reports {
    private final Path folder;
    private final Map<Path, Loaded> loaded = new ConcurrentHashMap<>();

    /** One report as the API serves it: its folder name relative to the reports folder, its HTML page's URL (if any), its tables. */
    public record Listed(String name, String htmlUrl, String title, List<Report.Table> tables) {
    }

    /** A submodel's figures in one report. */
    public record Quality(@JsonProperty("report") String report, @JsonProperty("top1_1nn") double top1Nn,
                          @JsonProperty("map10") double map10, @JsonProperty("head_top1") Double headTop1) {
    }

    /** A report file as last read: what identified that version of the file, and what it held (empty if unreadable). */
    private record Loaded(FileTime modified, long size, Optional<Listed> report) {
    }

    public Reports(Path folder) {
        this.folder = folder;
    }

    Path folder() {
        return folder;
    }

    List<Listed> list() {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        List<Listed> reports = new ArrayList<>();
        try (Stream<Path> files = Files.find(folder, 2, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals("report.json"))) {
            for (Path file : files.sorted().toList()) {
                current(file).ifPresent(reports::add);
            }
        } catch (IOException e) {
            return reports;
        }
        return reports;
    }

    /** The figures measured for a submodel with these per-layer widths, one per report that has it (baselines are other models). */
    List<Quality> qualityOf(int[] perLayer) {
        List<Quality> found = new ArrayList<>();
        for (Listed report : list()) {
            for (Report.Table table : report.tables()) {
                for (ReportRow row : table.rows()) {
                    if (!"baseline".equals(row.kind()) && Arrays.equals(row.widths(), perLayer)) {
                        found.add(new Quality(report.name(), row.top1Nn(), row.map10(), row.headTop1()));
                    }
                }
            }
        }
        return found;
    }

    private Optional<Listed> current(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            Loaded known = loaded.get(file);
            if (known == null || !known.modified().equals(attributes.lastModifiedTime()) || known.size() != attributes.size()) {
                known = new Loaded(attributes.lastModifiedTime(), attributes.size(), read(file));
                loaded.put(file, known);
            }
            return known.report();
        } catch (IOException e) {
            loaded.remove(file);
            return Optional.empty();
        }
    }

    private Optional<Listed> read(Path file) {
        try {
            Report report = Report.read(file);
            if (report.rows() == null) {
                return Optional.empty();
            }
            Path dir = file.getParent();
            String name = folder.relativize(dir).toString().replace('\\', '/');
            Path html = dir.resolve("index.html");
            String htmlUrl = Files.isRegularFile(html) ? "/reports/" + (name.isEmpty() ? "" : name + "/") + "index.html" : null;
            return Optional.of(new Listed(name.isEmpty() ? "." : name, htmlUrl, report.title(), report.tables()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
