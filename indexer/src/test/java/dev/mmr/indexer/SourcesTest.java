package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcesTest {
    @TempDir
    Path tmp;

    private static List<ImageEntry> entries(ImageSource source, Map<String, byte[]> bytes) throws Exception {
        List<ImageEntry> entries = new ArrayList<>();
        source.scan((entry, content) -> {
            entries.add(entry);
            bytes.put(entry.id(), content.read());
            return true;
        });
        return entries;
    }

    @Test
    void folderGivesRelativeIdsParentLabelsAndSortedOrder() throws Exception {
        Map<String, byte[]> images = Map.of("b/cat/2.jpg", new byte[] {2}, "a/dog/1.JPG", new byte[] {1}, "top.png", new byte[] {3});
        TestCorpus.tree(tmp, images);
        Files.writeString(tmp.resolve("a/dog/notes.txt"), "not an image");
        Map<String, byte[]> read = new LinkedHashMap<>();
        try (ImageSource source = ImageSource.open(tmp, null)) {
            List<ImageEntry> entries = entries(source, read);
            assertEquals(List.of("a/dog/1.JPG", "b/cat/2.jpg", "top.png"), entries.stream().map(ImageEntry::id).toList());
            assertEquals("dog", entries.get(0).label());
            assertNull(entries.get(2).label());
            assertEquals(new ImageLocation.File(tmp.resolve("b/cat/2.jpg")), entries.get(1).location());
            assertEquals(1.0, source.fractionScanned());
        }
        assertArrayEquals(new byte[] {2}, read.get("b/cat/2.jpg"));
        try (ImageSource under = ImageSource.open(tmp, "b")) {
            assertEquals(List.of("b/cat/2.jpg"), entries(under, new LinkedHashMap<>()).stream().map(ImageEntry::id).toList());
        }
    }

    @Test
    void archiveIsStreamedInPlaceWithTheSameIdsAsTheTree() throws Exception {
        Map<String, byte[]> images = TestCorpus.cifar(5);
        Path archive = TestCorpus.tarGz(tmp.resolve("corpus.tar.gz"), images);
        Map<String, byte[]> read = new LinkedHashMap<>();
        try (ImageSource source = ImageSource.open(archive, "train")) {
            List<ImageEntry> entries = entries(source, read);
            assertEquals(List.copyOf(images.keySet()), entries.stream().map(ImageEntry::id).toList());
            ImageEntry first = entries.get(0);
            assertEquals(first.id().split("/")[1], first.label());
            assertEquals(new ImageLocation.ArchiveMember(archive.toAbsolutePath(), first.id()), first.location());
            assertEquals(archive.toAbsolutePath() + "!/" + first.id(), first.location().stored());
        }
        images.forEach((id, bytes) -> assertArrayEquals(bytes, read.get(id), id));
    }

    @Test
    void notAnArchiveIsAClearError() throws IOException {
        Path fake = Files.writeString(tmp.resolve("fake.tar"), "this is not a tar archive at all".repeat(40));
        IOException e = assertThrows(IOException.class, () -> {
            try (ImageSource source = ImageSource.open(fake, null)) {
                source.scan((entry, content) -> true);
            }
        });
        assertTrue(e.getMessage().contains("fake.tar"), e.getMessage());
    }

    @Test
    void csvManifestResolvesPathsAndKeepsExtraFields() throws Exception {
        Files.createDirectories(tmp.resolve("img"));
        Files.write(tmp.resolve("img/x.jpg"), new byte[] {7});
        Files.writeString(tmp.resolve("m.csv"), "id,path,label,split,photographer\nx1,img/x.jpg,cat,train,\"Doe, J.\"\nx2,/abs/y.jpg,,test,\n");
        try (ImageSource source = ImageSource.open(tmp.resolve("m.csv"), null)) {
            Map<String, byte[]> read = new LinkedHashMap<>();
            List<ImageEntry> entries = new ArrayList<>();
            source.scan((entry, content) -> {
                entries.add(entry);
                if (entry.id().equals("x1")) read.put(entry.id(), content.read());
                return true;
            });
            assertEquals(new ImageEntry("x1", new ImageLocation.File(tmp.resolve("img/x.jpg")), "cat", Map.of("split", "train", "photographer", "Doe, J.")), entries.get(0));
            assertEquals(new ImageEntry("x2", new ImageLocation.File(Path.of("/abs/y.jpg")), null, Map.of("split", "test")), entries.get(1));
            assertArrayEquals(new byte[] {7}, read.get("x1"));
        }
    }

    @Test
    void jsonLinesManifest() throws Exception {
        Files.writeString(tmp.resolve("m.jsonl"), "{\"id\":\"a\",\"path\":\"a.jpg\",\"label\":\"cat\",\"year\":2021,\"ok\":true}\n\n{\"id\":\"b\",\"path\":\"b.jpg\"}\n");
        try (ImageSource source = ImageSource.open(tmp.resolve("m.jsonl"), null)) {
            List<ImageEntry> entries = new ArrayList<>();
            source.scan((entry, content) -> entries.add(entry));
            assertEquals(Map.of("year", "2021", "ok", "true"), entries.get(0).fields());
            assertEquals("cat", entries.get(0).label());
            assertEquals(2, entries.size());
        }
    }

    @Test
    void badManifestsAreRefusedWholeWithTheRow() throws IOException {
        Map<String, String> bad = Map.of(
                "dup.csv", "id,path\na,a.jpg\na,b.jpg\n",
                "noid.csv", "path,label\na.jpg,cat\n",
                "reserved.csv", "id,path,embedding\na,a.jpg,1\n",
                "nested.jsonl", "{\"id\":\"a\",\"path\":\"a.jpg\",\"meta\":{\"x\":1}}\n",
                "broken.jsonl", "{\"id\":\"a\",\n");
        for (var manifest : bad.entrySet()) {
            Path file = Files.writeString(tmp.resolve(manifest.getKey()), manifest.getValue());
            IOException e = assertThrows(IOException.class, () -> ImageSource.open(file, null), manifest.getKey());
            assertTrue(e.getMessage().contains(manifest.getKey()), e.getMessage());
        }
    }

    @Test
    void unknownSourceKindIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("images.zip"), "x");
        assertThrows(IllegalArgumentException.class, () -> ImageSource.open(file, null));
        assertThrows(IOException.class, () -> ImageSource.open(tmp.resolve("missing"), null));
    }
}
