package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sources that contain what is not a plain image file: devices, FIFOs, dangling links, link loops, unreadable folders.
 * None may hang or exhaust memory; each bad entry is visited with content that fails with a reason, so the indexer
 * lists it in its rejects, and the rest of the source is still read.
 */
class HostileSourcesTest {
    private static final Duration PROMPTLY = Duration.ofSeconds(10);
    @TempDir Path tmp;

    @Test
    void manifestsThatAreDevicesOrFifosAreRefused() throws Exception {
        Path zero = Files.createSymbolicLink(tmp.resolve("zero.csv"), Path.of("/dev/zero"));
        Path fifo = TestCorpus.fifo(tmp.resolve("fifo.jsonl"));
        for (Path manifest : new Path[] {zero, fifo}) {
            IOException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(IOException.class, () -> ImageSource.open(manifest, null)));
            assertEquals(manifest + ": not a regular file (a device, FIFO or socket)", e.getMessage());
        }
    }

    @Test
    void manifestRowsNamingDevicesOrFifosFailToReadWithTheReason() throws Exception {
        TestCorpus.fifo(tmp.resolve("fifo.jpg"));
        Files.write(tmp.resolve("ok.jpg"), new byte[] {1, 2, 3});
        Files.writeString(tmp.resolve("m.csv"), "id,path\nzero,/dev/zero\nfifo,fifo.jpg\nok,ok.jpg\n");
        Map<String, String> outcomes = assertTimeoutPreemptively(PROMPTLY, () -> readAll(ImageSource.open(tmp.resolve("m.csv"), null)));
        assertEquals(Map.of("zero", "/dev/zero: not a regular file (a device, FIFO or socket)",
                "fifo", tmp.resolve("fifo.jpg") + ": not a regular file (a device, FIFO or socket)", "ok", "3 bytes"), outcomes);
    }

    /** Each id visited, with "N bytes" or the message of the failed read. */
    static Map<String, String> readAll(ImageSource source) throws Exception {
        Map<String, String> outcomes = new LinkedHashMap<>();
        try (source) {
            source.scan((entry, content) -> {
                try {
                    outcomes.put(entry.id(), content.read().length + " bytes");
                } catch (IOException e) {
                    outcomes.put(entry.id(), e.getMessage());
                }
                return true;
            });
        }
        return outcomes;
    }
}
