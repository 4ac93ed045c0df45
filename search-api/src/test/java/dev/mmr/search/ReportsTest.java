package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports are read as eval's typed report, kept in memory, and read again when a file's time or size changes. */
class ReportsTest {
    private static final int[] LEVEL2 = {64, 64, 64, 64};

    private static String report(String top1) {
        return """
                {"model": {"d_model": 128}, "rows": [
                  {"name": "level2", "kind": "nested", "widths": [64, 64, 64, 64], "gflop": 0.1, "top1_1nn": %s, "map10": 0.52, "head_top1": 0.7},
                  {"name": "baseline-l2", "kind": "baseline", "widths": [64, 64, 64, 64], "gflop": 0.1, "top1_1nn": 0.2, "map10": 0.1}]}"""
                .formatted(top1);
    }

    @Test
    void readsTypedRowsAndReloadsOnlyWhenTheFileChanges(@TempDir Path folder) throws Exception {
        Path file = folder.resolve("cifar10/report.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, report("0.61"));
        Reports reports = new Reports(folder);

        List<Reports.Quality> quality = reports.qualityOf(LEVEL2);
        assertEquals(List.of(new Reports.Quality("cifar10", 0.61, 0.52, 0.7)), quality, "the nested row, not the baseline's");
        Reports.Listed listed = reports.list().get(0);
        assertEquals(List.of("nested", "baseline"), listed.tables().stream().map(t -> t.kind()).toList());
        assertTrue(listed.tables().get(0).explanation().contains("level 1 is the full model (width D = 128)"), listed.tables().get(0).explanation());

        FileTime written = Files.getLastModifiedTime(file);
        Files.writeString(file, report("0.62"));
        Files.setLastModifiedTime(file, written);
        assertEquals(0.61, reports.qualityOf(LEVEL2).get(0).top1Nn(), "same time and size: the kept copy, no read");

        Files.setLastModifiedTime(file, FileTime.fromMillis(written.toMillis() + 2000));
        assertEquals(0.62, reports.qualityOf(LEVEL2).get(0).top1Nn(), "a newer file is read again");

        Files.writeString(file, "{ not json");
        assertEquals(List.of(), reports.list(), "an unreadable report is left out");
    }
}
