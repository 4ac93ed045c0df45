package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rejects file keeps one line per id, ids escaped so that ids differing only in tabs, newlines or spaces stay apart. */
class RejectsTest {
    @TempDir Path tmp;

    @Test
    void idsDifferingOnlyInWhitespaceOrBackslashesKeepLinesOfTheirOwn() throws Exception {
        Path file = tmp.resolve("rejects.tsv");
        List<String> ids = List.of("a b", "a\tb", "a\nb", "a\rb", "a\\b", "a\\tb");
        try (Rejects rejects = new Rejects(file, id -> false)) {
            for (String id : ids) {
                rejects.add(id, "bad:\tline\none");
            }
            assertEquals(6, rejects.count());
        }
        assertEquals(List.of("a b\tbad:\\tline\\none", "a\\tb\tbad:\\tline\\none", "a\\nb\tbad:\\tline\\none",
                "a\\rb\tbad:\\tline\\none", "a\\\\b\tbad:\\tline\\none", "a\\\\tb\tbad:\\tline\\none"),
                Files.readAllLines(file, StandardCharsets.UTF_8));
        // Reopened, each line is read back to its own id: the one now indexed leaves the list, the others stay.
        try (Rejects rejects = new Rejects(file, "a\tb"::equals)) {
            assertEquals(5, rejects.count());
        }
        assertEquals(5, Files.readAllLines(file, StandardCharsets.UTF_8).size());
        for (String id : ids) {
            assertEquals(id, Rejects.unescape(Rejects.escape(id)));
        }
    }
}
