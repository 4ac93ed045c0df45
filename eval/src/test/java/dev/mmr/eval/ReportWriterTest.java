package dev.mmr.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

class ReportWriterTest {
    @TempDir Path dir;

    static Report sampleReport() {
        List<ReportRow> rows = List.of(
                new ReportRow("level1", "nested", new int[] {8, 8}, 1000, 0.5, 0.9, 0.8, 0.91, 0.97, 100),
                new ReportRow("level2", "nested", new int[] {4, 4}, 600, 0.3, 0.88, 0.78, 0.9, 0.96, 180),
                new ReportRow("mix-pyramid", "mixnmatch", new int[] {8, 4}, 800, 0.4, 0.89, 0.79, null, 0.95, 140),
                new ReportRow("baseline-l1", "baseline", new int[] {8, 8}, 1000, 0.5, 0.85, 0.7, 0.86, 0.98, 101),
                new ReportRow("baseline-l2", "baseline", new int[] {4, 4}, 600, 0.3, 0.2, 0.1, 0.8, 0.99, 181));
        return new Report("Adaptive retrieval <test> & co", "2025-01-01T00:00:00Z", Map.of("dir", "models/x"), List.of(),
                Map.of("images", 50), Map.of("images", 10), Map.of("k", 10), rows);
    }

    @Test
    void indexHtmlSetsEachMixNMatchRowAgainstTheCheaperLevel() throws Exception {
        ReportWriter.write(sampleReport(), dir);
        String html = Files.readString(dir.resolve(ReportWriter.HTML));
        assertTrue(html.contains("<th>1-NN top-1 against the cheaper level</th>"), html);
        assertTrue(html.contains("<td>level2: +1.00</td>"), "mix-pyramid (0.4 GFLOP, 89%) against level2 (0.3, 88%)");
        assertEquals(1, html.split("against the cheaper level</th>", -1).length - 1, "the Mix'n'Match table alone has the column");
        Report cheapest = new Report("t", "c", Map.of(), List.of(), Map.of(), Map.of(), Map.of(), List.of(
                new ReportRow("level1", "nested", new int[] {8, 8}, 1000, 0.5, 0.9, 0.8, 0.91, 0.97, 100),
                new ReportRow("mix-tiny", "mixnmatch", new int[] {2, 2}, 100, 0.1, 0.5, 0.4, null, 0.9, 500)));
        assertNull(cheapest.cheaperLevel(cheapest.rows().get(1)), "every trained level costs more");
        assertEquals("none", ReportWriter.versus(cheapest.tables().get(1).cheaperLevel().get(0)));
    }

    @Test
    void writesParseableJsonCsvSvgPngAndHtml() throws Exception {
        List<Path> files = ReportWriter.write(sampleReport(), dir);
        assertEquals(List.of("report.json", "nested.csv", "mixnmatch.csv", "baseline.csv", "index.html",
                        "top1_1nn_vs_gflop.svg", "top1_1nn_vs_gflop.png", "map10_vs_gflop.svg", "map10_vs_gflop.png"),
                files.stream().map(p -> p.getFileName().toString()).toList());

        JsonNode json = new ObjectMapper().readTree(dir.resolve("report.json").toFile());
        assertEquals(5, json.get("rows").size());
        JsonNode mix = json.get("rows").get(2);
        for (String field : ReportWriter.CSV_HEADER) {
            assertTrue(mix.has(field), field);
        }
        assertEquals("mixnmatch", mix.get("kind").asText());
        assertTrue(mix.get("head_top1").isNull());
        assertEquals(8, mix.get("widths").get(0).asInt());
        assertEquals(0.89, mix.get("top1_1nn").asDouble());

        List<String> nested = Files.readAllLines(dir.resolve("nested.csv"));
        assertEquals(3, nested.size());
        assertEquals(String.join(",", ReportWriter.CSV_HEADER), nested.get(0));
        String[] cells = nested.get(2).split(",", -1);
        assertEquals(ReportWriter.CSV_HEADER.length, cells.length);
        assertEquals("4-4", cells[2]);
        assertEquals(0.88, Double.parseDouble(cells[5]));
        assertEquals("", Files.readAllLines(dir.resolve("mixnmatch.csv")).get(1).split(",", -1)[7]);

        for (String stem : List.of("top1_1nn_vs_gflop", "map10_vs_gflop")) {
            DocumentBuilderFactory xml = DocumentBuilderFactory.newInstance();
            xml.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            Document svg = xml.newDocumentBuilder().parse(dir.resolve(stem + ".svg").toFile());
            assertEquals("svg", svg.getDocumentElement().getTagName());
            String svgText = Files.readString(dir.resolve(stem + ".svg"));
            for (Submodel.Kind kind : Submodel.Kind.values()) {
                String hex = String.format("rgb(%d,%d,%d)", AccuracyPlot.color(kind).getRed(), AccuracyPlot.color(kind).getGreen(),
                        AccuracyPlot.color(kind).getBlue());
                assertTrue(svgText.contains(hex), kind + " series drawn in the SVG");
            }
            BufferedImage png = ImageIO.read(dir.resolve(stem + ".png").toFile());
            assertNotNull(png, stem + ".png decodes");
            assertEquals(AccuracyPlot.WIDTH, png.getWidth());
            assertEquals(AccuracyPlot.HEIGHT, png.getHeight());
            for (Submodel.Kind kind : Submodel.Kind.values()) {
                assertTrue(containsColour(png, AccuracyPlot.color(kind).getRGB()), kind + " series drawn in the PNG");
            }
        }

        String html = Files.readString(dir.resolve("index.html"));
        assertTrue(html.contains("Adaptive retrieval &lt;test&gt; &amp; co"));
        Matcher links = Pattern.compile("(?:href|src)=\"([^\"]+)\"").matcher(html);
        int count = 0;
        while (links.find()) {
            assertTrue(Files.isRegularFile(dir.resolve(links.group(1))), "relative link resolves: " + links.group(1));
            count++;
        }
        assertTrue(count >= 8, "links to every plot, CSV and the JSON");
    }

    private static boolean containsColour(BufferedImage image, int rgb) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) == (rgb & 0xffffff)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void aPlotThatCannotBeWrittenLosesNoFigures() throws Exception {
        Files.createDirectories(dir.resolve("map10_vs_gflop.png"));
        IOException e = assertThrows(IOException.class, () -> ReportWriter.write(sampleReport(), dir));
        assertTrue(e.getMessage().contains("map10_vs_gflop.png"), e.getMessage());
        for (String written : List.of("report.json", "nested.csv", "mixnmatch.csv", "baseline.csv", "index.html")) {
            assertTrue(Files.size(dir.resolve(written)) > 0, written + " written before the plots");
        }
        assertEquals(5, new ObjectMapper().readTree(dir.resolve("report.json").toFile()).get("rows").size());
    }
}
