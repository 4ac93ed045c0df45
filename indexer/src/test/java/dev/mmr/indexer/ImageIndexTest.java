package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.source.ImageLocation;
import dev.mmr.indexer.source.ImageSource;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real index on disk built with the golden-tiny checkpoint from real CIFAR-10 JPEGs. */
class ImageIndexTest {
    static MatMambaModel model;
    static Map<String, byte[]> images;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        model = MatMambaModel.load(TestCorpus.goldenTiny());
        images = TestCorpus.cifar(40);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private BulkIndexer.Result index(Path source, Path index, IndexSettings settings) throws Exception {
        try (ImageSource corpus = ImageSource.open(source, null);
             ImageIndexWriter writer = ImageIndexWriter.open(index, model, settings)) {
            BulkIndexer.Options options = new BulkIndexer.Options(8, 2, 16, Duration.ofMinutes(1), 0);
            return new BulkIndexer(model, writer, options).run(corpus, index.resolve("rejects.tsv"));
        }
    }

    private float[] encode(byte[] jpeg) throws Exception {
        return model.encode(model.preprocessor().preprocess(jpeg), 1, model.full()).embedding(0);
    }

    @Test
    void treeIndexRoundTripsLabelsVectorsAndSearches() throws Exception {
        Path tree = TestCorpus.tree(tmp.resolve("tree"), images);
        Path dir = tmp.resolve("index");
        BulkIndexer.Result result = index(tree, dir, IndexSettings.DEFAULT);
        assertEquals(images.size(), result.indexed());
        try (ImageIndex index = ImageIndex.open(dir, model)) {
            assertEquals(images.size(), index.size());
            IndexInfo info = index.info();
            assertEquals(model.fingerprint(), info.modelFingerprint());
            assertEquals(String.valueOf(images.size()), info.commitData().get(IndexSchema.COUNT));
            assertEquals("level1", info.commitData().get(IndexSchema.MODEL_WIDTHS));
            assertTrue(info.complete());
            String id = images.keySet().iterator().next();
            ImageRecord record = index.get(id).orElseThrow();
            assertEquals(id.split("/")[1], record.label());
            assertEquals(new ImageLocation.File(tree.resolve(id)), record.location());
            float[] expected = encode(images.get(id));
            float[] stored = index.vector(id).orElseThrow();
            for (int i = 0; i < expected.length; i++) assertEquals(expected[i], stored[i], 1e-5f, "dimension " + i);

            List<Hit> hits = index.search(stored, 5, null, 50);
            assertEquals(id, hits.get(0).image().id());
            assertEquals(1f, hits.get(0).similarity(), 1e-5f);
            assertEquals(hits.stream().map(h -> h.image().id()).toList(),
                    index.exactSearch(stored, 5, null).stream().map(h -> h.image().id()).toList());

            String label = record.label();
            List<Hit> filtered = index.exactSearch(stored, 100, ImageFilter.label(label));
            long sameLabel = images.keySet().stream().filter(k -> k.split("/")[1].equals(label)).count();
            assertEquals(sameLabel, filtered.size());
            assertTrue(filtered.stream().allMatch(h -> h.image().label().equals(label)));
            assertEquals(filtered.size(), index.search(stored, 100, ImageFilter.label(label), 100).size());
            assertTrue(index.get("no/such/id.jpg").isEmpty());
            assertThrows(IllegalArgumentException.class, () -> index.search(new float[3], 5, null, 10));
        }
    }

    @Test
    void archiveAndManifestSourcesWithFieldsAndRejects() throws Exception {
        Path archive = TestCorpus.tarGz(tmp.resolve("corpus.tar.gz"), images);
        Path fromArchive = tmp.resolve("from-archive");
        index(archive, fromArchive, IndexSettings.DEFAULT);

        Path tree = TestCorpus.tree(tmp.resolve("tree"), images);
        Files.writeString(tree.resolve("broken.jpg"), "definitely not a JPEG");
        StringBuilder csv = new StringBuilder("id,path,label,split,source\n");
        int row = 0;
        for (String id : images.keySet()) csv.append("m").append(row).append(',').append(id).append(",c").append(row % 3)
                .append(',').append(row++ % 2 == 0 ? "train" : "val").append(",cifar\n");
        csv.append("bad,broken.jpg,x,train,cifar\nmissing,nowhere.jpg,x,train,cifar\n");
        Path manifest = Files.writeString(tree.resolve("manifest.csv"), csv);
        Path fromManifest = tmp.resolve("from-manifest");
        BulkIndexer.Result result = index(manifest, fromManifest, IndexSettings.DEFAULT);
        assertEquals(images.size(), result.indexed());
        assertEquals(2, result.rejected());

        List<String> rejects = Files.readAllLines(fromManifest.resolve("rejects.tsv"));
        assertEquals(Set.of("bad", "missing"), Set.copyOf(rejects.stream().map(l -> l.split("\t")[0]).toList()));
        assertTrue(rejects.stream().allMatch(l -> l.split("\t").length == 2 && !l.split("\t")[1].isBlank()), rejects.toString());

        try (ImageIndex a = ImageIndex.open(fromArchive, model); ImageIndex m = ImageIndex.open(fromManifest, model)) {
            assertEquals(images.size(), a.size());
            assertEquals("2", m.info().commitData().get(IndexSchema.REJECTED));
            ImageRecord m0 = m.get("m0").orElseThrow();
            assertEquals("c0", m0.label());
            assertEquals(Map.of("split", "train", "source", "cifar"), m0.fields());
            String firstId = images.keySet().iterator().next();
            assertEquals(new ImageLocation.ArchiveMember(archive.toAbsolutePath(), firstId), a.get(firstId).orElseThrow().location());
            assertArrayEquals(a.vector(firstId).orElseThrow(), m.vector("m0").orElseThrow(), 1e-5f);
            List<Hit> val = m.exactSearch(m.vector("m1").orElseThrow(), 100, ImageFilter.field("split", "val"));
            assertEquals(images.size() / 2, val.size());
            assertEquals("m1", val.get(0).image().id());
        }

        // a rerun retries the rejects, lists each once, and indexes nothing twice
        BulkIndexer.Result again = index(manifest, fromManifest, IndexSettings.DEFAULT);
        assertEquals(0, again.indexed());
        assertEquals(images.size(), again.skipped());
        assertEquals(2, Files.readAllLines(fromManifest.resolve("rejects.tsv")).size());
    }

    @Test
    void fingerprintMismatchIsRefused() throws Exception {
        Path dir = tmp.resolve("index");
        index(TestCorpus.tree(tmp.resolve("tree"), Map.of(images.keySet().iterator().next(), images.values().iterator().next())), dir, IndexSettings.DEFAULT);
        Path other = tmp.resolve("other-model");
        Files.createDirectories(other);
        try (var files = Files.list(TestCorpus.goldenTiny())) {
            for (Path f : files.toList()) Files.copy(f, other.resolve(f.getFileName()));
        }
        Files.writeString(other.resolve("config.json"), "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (MatMambaModel changed = MatMambaModel.load(other)) {
            IndexMismatchException e = assertThrows(IndexMismatchException.class, () -> ImageIndex.open(dir, changed));
            assertTrue(e.getMessage().contains(model.fingerprint()) && e.getMessage().contains(changed.fingerprint()), e.getMessage());
            assertThrows(IndexMismatchException.class, () -> ImageIndexWriter.open(dir, changed, IndexSettings.DEFAULT));
        }
        try (ImageIndex index = ImageIndex.open(dir, model)) {
            assertEquals(1, index.size());
        }
    }

    @Test
    void quantizedIndexesKeepExactVectors() throws Exception {
        Map<String, byte[]> some = new java.util.LinkedHashMap<>();
        images.entrySet().stream().limit(20).forEach(e -> some.put(e.getKey(), e.getValue()));
        Path tree = TestCorpus.tree(tmp.resolve("tree"), some);
        for (Quantization q : Quantization.values()) {
            Path dir = tmp.resolve("index-" + q.key());
            index(tree, dir, new IndexSettings(8, 40, q));
            try (ImageIndex index = ImageIndex.open(dir, model)) {
                assertEquals(q.key(), index.info().commitData().get(IndexSchema.QUANTIZATION));
                Set<String> found = new HashSet<>();
                for (String id : some.keySet()) {
                    float[] v = index.vector(id).orElseThrow();
                    assertArrayEquals(encode(some.get(id)), v, 1e-5f, q + " " + id);
                    found.add(index.search(v, 1, null, 40).get(0).image().id());
                }
                assertTrue(found.size() >= some.size() - 1, q + ": self-retrieval found " + found.size());
            }
        }
    }

    @Test
    void deleteIsAllOrNothingAndPutReplacesById() throws Exception {
        Path dir = tmp.resolve("index");
        index(TestCorpus.tree(tmp.resolve("tree"), images), dir, IndexSettings.DEFAULT);
        List<String> ids = List.copyOf(images.keySet());
        try (ImageIndexWriter writer = ImageIndexWriter.openExisting(dir)) {
            assertThrows(IllegalArgumentException.class, () -> writer.delete(List.of(ids.get(0), "unknown")));
            writer.delete(List.of(ids.get(0), ids.get(1)));
            writer.commit(Map.of());
        }
        try (ImageIndex index = ImageIndex.open(dir, model)) {
            assertEquals(images.size() - 2, index.size());
            assertFalse(index.get(ids.get(0)).isPresent());
            assertTrue(index.get(ids.get(2)).isPresent());
            try (ImageIndexWriter writer = ImageIndexWriter.open(dir, model, IndexSettings.DEFAULT)) {
                writer.put(new dev.mmr.indexer.source.ImageEntry(ids.get(2), new ImageLocation.File(Path.of("elsewhere.jpg")), "relabelled", Map.of()), encode(images.get(ids.get(3))));
                assertThrows(IllegalArgumentException.class,
                        () -> writer.put(new dev.mmr.indexer.source.ImageEntry("x", new ImageLocation.File(Path.of("x.jpg")), null, Map.of()), new float[model.embeddingDim()]));
                writer.commit(Map.of());
            }
            assertTrue(index.refresh());
            assertEquals(images.size() - 2, index.size());
            assertEquals("relabelled", index.get(ids.get(2)).orElseThrow().label());
        }
    }
}
