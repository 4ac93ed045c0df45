package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.NamedPipes;
import dev.mmr.indexer.source.ImageLocation;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
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
        Path fifo = NamedPipes.make(tmp.resolve("fifo.jsonl"));
        for (Path manifest : new Path[] {zero, fifo}) {
            IOException e = assertTimeoutPreemptively(PROMPTLY, () -> assertThrows(IOException.class, () -> ImageSource.open(manifest, null)));
            assertEquals(manifest + ": not a regular file (a device, FIFO or socket)", e.getMessage());
        }
    }

    @Test
    void manifestRowsNamingDevicesOrFifosFailToReadWithTheReason() throws Exception {
        NamedPipes.make(tmp.resolve("fifo.jpg"));
        Files.write(tmp.resolve("ok.jpg"), new byte[] {1, 2, 3});
        Files.writeString(tmp.resolve("m.csv"), "id,path\nzero,/dev/zero\nfifo,fifo.jpg\nok,ok.jpg\n");
        Map<String, String> outcomes = assertTimeoutPreemptively(PROMPTLY, () -> readAll(ImageSource.open(tmp.resolve("m.csv"), null)));
        assertEquals(Map.of("zero", "/dev/zero: not a regular file (a device, FIFO or socket)",
                "fifo", tmp.resolve("fifo.jpg") + ": not a regular file (a device, FIFO or socket)", "ok", "3 bytes"), outcomes);
    }

    @Test
    void specialFilesLoopsAndUnlistableFoldersAreVisitedWithTheReason() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("tree/cat"));
        Files.write(root.resolve("ok.jpg"), new byte[] {1, 2});
        Files.createSymbolicLink(root.resolve("zero.jpg"), Path.of("/dev/zero"));
        NamedPipes.make(root.resolve("fifo.png"));
        Files.createSymbolicLink(root.resolve("gone.jpg"), root.resolve("deleted.jpg"));
        Files.createSymbolicLink(root.resolve("loop"), root.getParent());
        Files.createSymbolicLink(root.resolve("notes.txt"), root.resolve("deleted.txt")); // not an image name: ignored
        Path linked = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.write(linked.resolve("dog.png"), new byte[] {3});
        Files.createSymbolicLink(root.getParent().resolve("dog"), linked);
        Map<String, String> outcomes = assertTimeoutPreemptively(PROMPTLY, () -> readAll(ImageSource.open(tmp.resolve("tree"), null)));
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("cat/fifo.png", "not a regular file (a device, FIFO or socket)");
        expected.put("cat/gone.jpg", "dangling symbolic link");
        expected.put("cat/loop/", "symbolic link loop (a link to a folder above it)");
        expected.put("cat/ok.jpg", "2 bytes");
        expected.put("cat/zero.jpg", "not a regular file (a device, FIFO or socket)");
        expected.put("dog/dog.png", "1 bytes");
        assertEquals(expected, outcomes);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(outcomes.keySet()), "sorted id order");
    }

    /**
     * A folder that cannot be listed goes the same way as the loop above (the walk reports it as failed). Permissions
     * make one only for a user other than root, who reads every folder: there this test is skipped, saying so.
     */
    @Test
    void anUnreadableFolderIsVisitedWithTheReason() throws Exception {
        Path locked = Files.createDirectories(tmp.resolve("tree/locked"));
        Files.write(locked.resolve("secret.jpg"), new byte[] {1});
        Files.write(tmp.resolve("tree/open.jpg"), new byte[] {1});
        Files.setPosixFilePermissions(locked, Set.of());
        try {
            if (Files.isReadable(locked)) {
                String reason = "running as root, who can read a folder of mode 000: no unreadable folder to test";
                System.out.println("HostileSourcesTest.anUnreadableFolderIsVisitedWithTheReason skipped: " + reason);
                Assumptions.abort(reason);
            }
            assertEquals(Map.of("locked/", "unreadable folder: permission denied", "open.jpg", "1 bytes"),
                    readAll(ImageSource.open(tmp.resolve("tree"), null)));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void idsKeepBackslashesAndFoldersEndingInBangAreFolders() throws Exception {
        Path odd = Files.createDirectories(tmp.resolve("tree/odd!"));
        Files.write(odd.resolve("a\\b.jpg"), new byte[] {1});
        Map<String, String> outcomes = readAll(ImageSource.open(tmp.resolve("tree"), null));
        assertEquals(Map.of("odd!/a\\b.jpg", "1 bytes"), outcomes);
        assertEquals(new ImageLocation.File(Path.of(odd.resolve("a\\b.jpg").toString())), ImageLocation.parse(odd.resolve("a\\b.jpg").toString()), "a plain file");
        Path archive = TestCorpus.tarGz(odd.resolve("c.tar.gz"), Map.of("train/cat/1.png", new byte[] {1}));
        try (ImageSource source = ImageSource.open(archive, null)) {
            List<String> paths = new ArrayList<>();
            source.scan((entry, content) -> paths.add(entry.location().stored()));
            assertEquals(List.of(archive + "!/train/cat/1.png"), paths);
            assertEquals(new ImageLocation.ArchiveMember(archive, "train/cat/1.png"), ImageLocation.parse(paths.get(0)));
        }
    }

    @Test
    void indexingSuchATreeListsEveryBadEntryInTheRejects() throws Exception {
        Map<String, byte[]> images = TestCorpus.cifar(3);
        Path tree = TestCorpus.tree(tmp.resolve("tree"), images);
        Path cat = tree.resolve(images.keySet().iterator().next()).getParent();
        byte[] jpeg = images.values().iterator().next();
        Files.write(cat.resolve("truncated.jpg"), java.util.Arrays.copyOf(jpeg, jpeg.length / 2));
        NamedPipes.make(cat.resolve("fifo.jpg"));
        Files.createSymbolicLink(cat.resolve("gone.jpg"), cat.resolve("deleted.jpg"));
        Files.createSymbolicLink(cat.resolve("loop"), tree);
        Path index = tmp.resolve("index");
        BulkIndexer.Result result;
        try (MatMambaModel model = MatMambaModel.load(TestCorpus.goldenTiny());
             ImageSource source = ImageSource.open(tree, null);
             ImageIndexWriter writer = ImageIndexWriter.open(index, model, IndexSettings.DEFAULT)) {
            BulkIndexer.Options options = new BulkIndexer.Options(4, 1, 16, Duration.ofMinutes(1), 0);
            result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> new BulkIndexer(model, writer, options).run(source, index.resolve("rejects.tsv")));
        }
        assertEquals(3, result.indexed());
        Map<String, String> rejects = new LinkedHashMap<>();
        for (String line : Files.readAllLines(index.resolve("rejects.tsv"))) {
            rejects.put(line.split("\t")[0], line.split("\t")[1]);
        }
        String folder = tree.relativize(cat).toString() + "/";
        assertEquals(Set.of(folder + "fifo.jpg", folder + "gone.jpg", folder + "loop/", folder + "truncated.jpg"), rejects.keySet());
        assertTrue(rejects.get(folder + "truncated.jpg").contains("truncated JPEG"), rejects.toString());
        assertTrue(rejects.get(folder + "gone.jpg").contains("dangling symbolic link"), rejects.toString());
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
