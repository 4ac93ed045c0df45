package dev.mmr.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.mmr.search.ServiceLimits;
import dev.mmr.search.TestCorpus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The web pages in real headless Chromium against a real server on a real index. */
class SearchPageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    @TempDir
    static Path temp;
    static TestCorpus.Running running;
    static WebDriver browser;
    static WebDriverWait wait;

    @BeforeAll
    static void start() throws Exception {
        boolean available = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = "SKIPPED SearchPageBrowserTest: needs " + CHROMIUM + " and " + CHROMEDRIVER
                + " (Debian: apt-get install chromium chromium-driver); the web pages were not tested in a browser";
        if (!available) {
            // Surefire shows a class skipped in @BeforeAll as "Tests run: 0"; say why where everyone looks.
            System.out.println(why);
            System.err.println(why);
        }
        assumeTrue(available, why);
        Path reports = temp.resolve("reports");
        Files.createDirectories(reports.resolve("cifar10"));
        Files.writeString(reports.resolve("cifar10/report.json"), """
                {"rows": [{"name": "level1", "kind": "nested", "widths": [128, 128, 128, 128], "gflop": 0.2,
                  "top1_1nn": 0.75, "map10": 0.6, "head_top1": 0.8},
                 {"name": "level2", "kind": "nested", "widths": [64, 64, 64, 64], "gflop": 0.1,
                  "top1_1nn": 0.65, "map10": 0.5, "head_top1": 0.7},
                 {"name": "mix-uniform-96", "kind": "mixnmatch", "widths": [96, 96, 96, 96], "gflop": 0.15,
                  "top1_1nn": 0.7, "map10": 0.55, "head_top1": 0.75}]}""");
        Files.writeString(reports.resolve("cifar10/index.html"), "<html><body><h1>CIFAR-10 report</h1></body></html>");
        running = TestCorpus.start(ServiceLimits.defaults(), reports);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + Files.createDirectories(temp.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (running != null) {
            running.close();
        }
    }

    @Test
    void uploadChangeTheWidthAndClickAResult() throws Exception {
        browser.get(running.server().url().toString());
        wait.until(d -> d.findElements(By.cssSelector("#submodels input[name=submodel]")).size() == 4);
        assertTrue(browser.findElement(By.id("submodels")).getText().contains("GFLOP"), "each width shows its cost");

        Path cat;
        try (var files = Files.list(TestCorpus.images().resolve("cat"))) {
            cat = files.sorted().findFirst().orElseThrow();
        }
        browser.findElement(By.id("file")).sendKeys(cat.toAbsolutePath().toString());
        wait.until(d -> "level1".equals(d.findElement(By.id("timings")).getDomAttribute("data-submodel")));
        List<WebElement> hits = browser.findElements(By.cssSelector("#results .hit"));
        assertEquals(24, hits.size());
        assertEquals("cat/" + cat.getFileName(), hits.get(0).getDomAttribute("data-id"), "at full width the image finds itself first");
        assertTrue(browser.findElement(By.id("timings")).getText().contains("encode"));
        wait.until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                "return [...document.querySelectorAll('#results img')].every(i => i.complete && i.naturalWidth > 0)"));

        browser.findElement(By.cssSelector("#submodels input[value=level8]")).click();
        wait.until(d -> "level8".equals(d.findElement(By.id("timings")).getDomAttribute("data-submodel")));
        assertTrue(browser.findElement(By.id("timings")).getText().contains("level8"));

        WebElement third = browser.findElements(By.cssSelector("#results .hit")).get(2);
        String clicked = third.getDomAttribute("data-id");
        third.click();
        wait.until(d -> d.findElement(By.id("query-caption")).getText().equals("Query: " + clicked));
        wait.until(d -> !d.findElements(By.cssSelector("#results .hit")).isEmpty()
                && "level8".equals(d.findElement(By.id("timings")).getDomAttribute("data-submodel")));
        assertTrue(browser.findElement(By.id("error")).getDomAttribute("hidden") != null, "no error shown");
    }

    @Test
    void compareAllWidthsSideBySide() throws Exception {
        browser.get(running.server().url().toString());
        wait.until(d -> d.findElements(By.cssSelector("#submodels input[name=submodel]")).size() == 4);
        assertTrue(browser.findElement(By.id("widths")).getText().contains("level 1 is the full model"), "the page says what a level is");
        assertTrue(browser.findElement(By.id("submodels")).getText().contains("level8: width D/8"));
        Path cat;
        try (var files = Files.list(TestCorpus.images().resolve("cat"))) {
            cat = files.sorted().skip(1).findFirst().orElseThrow();
        }
        browser.findElement(By.id("file")).sendKeys(cat.toAbsolutePath().toString());
        wait.until(d -> "level1".equals(d.findElement(By.id("timings")).getDomAttribute("data-submodel")));
        browser.findElement(By.id("compare-button")).click();
        wait.until(d -> d.findElements(By.cssSelector("#compare .column")).size() == 4);
        List<WebElement> columns = browser.findElements(By.cssSelector("#compare .column"));
        assertEquals(List.of("level1", "level2", "level4", "level8"), columns.stream().map(c -> c.getDomAttribute("data-submodel")).toList());
        for (WebElement column : columns) {
            String facts = column.findElement(By.className("facts")).getText();
            assertTrue(facts.contains("GFLOP") && facts.contains("encode") && facts.contains("overlap@12 with level1"), facts);
            assertEquals(12, column.findElements(By.cssSelector(".hit")).size());
        }
        assertTrue(columns.get(0).findElement(By.className("facts")).getText().endsWith("100%"), "full width overlaps itself fully");
        assertEquals("cat/" + cat.getFileName(), columns.get(0).findElements(By.cssSelector(".hit")).get(0).getDomAttribute("data-id"));
        assertTrue(columns.get(0).findElements(By.cssSelector(".hit.new")).isEmpty(), "no full-width hit is marked as new");
        wait.until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                "return [...document.querySelectorAll('#compare img')].every(i => i.complete && i.naturalWidth > 0)"));
    }

    @Test
    void theReportsPageShowsEachReport() {
        browser.get(running.server().url().resolve("/reports.html").toString());
        wait.until(d -> !d.findElements(By.cssSelector("#reports table tbody tr")).isEmpty());
        String table = browser.findElement(By.cssSelector("#reports table")).getText();
        assertTrue(table.contains("level1") && table.contains("75.00%"), table);
        String explanation = browser.findElement(By.cssSelector("#reports p.explanation")).getText();
        assertTrue(explanation.contains("level 1 is the full model"), explanation);
        List<WebElement> tables = browser.findElements(By.cssSelector("#reports table"));
        assertEquals(2, tables.size(), "nested and Mix'n'Match");
        String mix = tables.get(1).getText();
        assertTrue(mix.contains("1-NN top-1 against the cheaper level") && mix.contains("level2: +5.00"), mix);
        assertFalse(tables.get(0).getText().contains("against the cheaper level"), "trained levels are not set against one");
        assertEquals("/reports/cifar10/index.html", browser.findElement(By.cssSelector("#reports iframe")).getDomAttribute("src"));
    }
}
