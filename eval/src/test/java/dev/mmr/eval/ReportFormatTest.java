package dev.mmr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped report reads back into the typed report, and a report written now reads back equal. */
class ReportFormatTest {
    static Path shippedReport() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(dir.resolve("models"))) {
            dir = dir.getParent();
        }
        return dir.resolve("reports/cifar10/report.json");
    }

    @Test
    void readsTheShippedCifar10Report() throws Exception {
        Report report = Report.read(shippedReport());
        assertEquals(13, report.rows().size());
        ReportRow level1 = report.rows().get(0);
        assertEquals("level1", level1.name());
        assertArrayEquals(new int[] {256, 256, 256, 256, 256, 256}, level1.widths());
        List<String> nestedCsv = Files.readAllLines(shippedReport().resolveSibling("nested.csv"));
        String[] cells = nestedCsv.get(1).split(",");
        assertEquals(Double.parseDouble(cells[5]), level1.top1Nn(), 1e-4, "the JSON and the CSV agree");
        assertEquals(List.of("nested", "mixnmatch", "baseline"), report.tables().stream().map(Report.Table::kind).toList());
        assertEquals(4, report.tables().get(2).rows().size());
    }

    @Test
    void everyTableSaysWhatItsRowsAre() throws Exception {
        Report report = Report.read(shippedReport());
        String nested = report.explanation(Submodel.Kind.NESTED);
        assertTrue(nested.contains("level 1 is the full model (width D = 256) and level 8 the smallest (D/8 = 32)"), nested);
        String baseline = report.explanation(Submodel.Kind.BASELINE);
        assertTrue(baseline.contains("queried against the database built by baseline-l1, a different model"), baseline);
        assertTrue(baseline.contains("independently trained models do not share a metric space"), baseline);
        assertTrue(report.explanation(Submodel.Kind.MIXNMATCH).contains("a different width per layer"));
    }

    @Test
    void eachMixNMatchRowIsSetAgainstTheTrainedLevelThatCostsTheMostWithoutCostingMore() throws Exception {
        Report report = Report.read(shippedReport());
        Map<String, ReportRow> rows = report.rows().stream().collect(Collectors.toMap(ReportRow::name, Function.identity()));
        Report.Table mix = report.tables().get(1);
        Map<String, String> expected = Map.of("mix-uniform-192", "level2", "mix-uniform-96", "level4", "mix-uniform-48", "level8",
                "mix-pyramid", "level4", "mix-inverted-pyramid", "level4");
        assertEquals(expected.size(), mix.rows().size());
        for (int i = 0; i < mix.rows().size(); i++) {
            ReportRow row = mix.rows().get(i);
            Report.Versus versus = mix.cheaperLevel().get(i);
            assertEquals(expected.get(row.name()), versus.level(), row.name());
            assertTrue(rows.get(versus.level()).gflop() <= row.gflop(), row.name() + " costs no less than " + versus.level());
            assertEquals(100 * (row.top1Nn() - rows.get(versus.level()).top1Nn()), versus.top1NnPoints(), 1e-9, row.name());
        }
        assertNull(report.tables().get(0).cheaperLevel(), "only Mix'n'Match rows are set against a level");
        assertNull(report.tables().get(2).cheaperLevel());
    }

    @Test
    void aWrittenReportReadsBackTheSame(@TempDir Path dir) throws Exception {
        Report written = ReportWriterTest.sampleReport();
        ReportWriter.write(written, dir);
        Report read = Report.read(dir.resolve(ReportWriter.JSON));
        assertEquals(written.rows().size(), read.rows().size());
        for (int i = 0; i < read.rows().size(); i++) {
            ReportRow a = written.rows().get(i);
            ReportRow b = read.rows().get(i);
            assertEquals(a.name(), b.name());
            assertArrayEquals(a.widths(), b.widths());
            assertEquals(a.headTop1(), b.headTop1());
            assertEquals(a.top1Nn(), b.top1Nn());
        }
        String html = Files.readString(dir.resolve(ReportWriter.HTML));
        for (Report.Table table : read.tables()) {
            assertTrue(html.contains(table.explanation().replace("&", "&amp;")), "index.html explains the " + table.kind() + " table");
        }
    }
}
