package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageIndexWriter#put} on several write threads gives the index that writing one by one gives: the same live
 * images and vectors by id (the last put of an id wins, within a batch too), every vector found as its own nearest
 * neighbour, before and after a forced merge; and the write threads end with the writer.
 */
class ConcurrentPutTest {
    private static final int IMAGES = 3000;
    private static final int BATCH = 256;
    private static final int THREADS = 4;

    static MatMambaModel model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        model = MatMambaModel.load(TestCorpus.goldenTiny());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** One put: the image and its unit vector. */
    private record Put(ImageEntry entry, float[] vector) {
    }

    private static Put put(String id, SplittableRandom random) {
        return new Put(new ImageEntry(id, new ImageLocation.File(Path.of(id + ".jpg")), null, Map.of()),
                TestCorpus.randomUnitVector(model.embeddingDim(), random));
    }

    /**
     * {@value #IMAGES} images in batches of {@value #BATCH}; the first batch puts {@code img-7} twice (the later one
     * must win) and the last batch puts {@code img-0} again.
     */
    private static List<List<Put>> batches() {
        SplittableRandom random = new SplittableRandom(11);
        List<Put> puts = new ArrayList<>();
        for (int i = 0; i < IMAGES; i++) puts.add(put("img-" + i, random));
        puts.add(100, put("img-7", random));
        puts.add(put("img-0", random));
        List<List<Put>> batches = new ArrayList<>();
        for (int from = 0; from < puts.size(); from += BATCH) batches.add(puts.subList(from, Math.min(from + BATCH, puts.size())));
        return batches;
    }

    /** What each id must hold: its last put. */
    private static Map<String, float[]> expected(List<List<Put>> batches) {
        Map<String, float[]> last = new LinkedHashMap<>();
        for (List<Put> batch : batches) for (Put p : batch) last.put(p.entry().id(), p.vector());
        return last;
    }

    private static void write(ImageIndexWriter writer, List<List<Put>> batches) throws Exception {
        for (List<Put> batch : batches) writer.put(batch.stream().map(Put::entry).toList(), batch.stream().map(Put::vector).toList());
        writer.commit(Map.of());
    }

    private static List<Thread> writeThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(ImageIndexWriter.THREAD_NAME)).toList();
    }

    private static int segments(Path dir) throws Exception {
        try (FSDirectory directory = FSDirectory.open(dir); DirectoryReader reader = DirectoryReader.open(directory)) {
            return reader.leaves().size();
        }
    }

    /** Every id holds its expected vector, and a search for that vector finds the id first (all but 1% of them). */
    private static void assertHolds(Path dir, Map<String, float[]> expected) throws Exception {
        try (ImageIndex index = ImageIndex.open(dir, model)) {
            assertEquals(expected.size(), index.size());
            int found = 0;
            for (var e : expected.entrySet()) {
                assertArrayEquals(e.getValue(), index.vector(e.getKey()).orElseThrow(), e.getKey());
                if (index.search(e.getValue(), 1, null, 100).get(0).image().id().equals(e.getKey())) found++;
            }
            assertTrue(found >= 0.99 * expected.size(), found + " of " + expected.size() + " found as their own nearest");
        }
    }

    @Test
    void concurrentPutsEqualSequentialPuts() throws Exception {
        List<List<Put>> batches = batches();
        Map<String, float[]> expected = expected(batches);
        Path sequential = tmp.resolve("sequential");
        try (ImageIndexWriter writer = ImageIndexWriter.open(sequential, model, IndexSettings.DEFAULT, 1)) {
            write(writer, batches);
        }
        assertHolds(sequential, expected);

        Path concurrent = tmp.resolve("concurrent");
        List<Thread> used;
        try (ImageIndexWriter writer = ImageIndexWriter.open(concurrent, model, IndexSettings.DEFAULT, THREADS)) {
            write(writer, batches);
            used = writeThreads();
        }
        assertEquals(THREADS, used.size(), "every write thread took part of a batch");
        for (Thread t : used) t.join(10_000);
        assertTrue(used.stream().noneMatch(Thread::isAlive), "write threads outlive close()");
        assertTrue(segments(concurrent) > 1, "the batches were written by one thread");
        assertHolds(concurrent, expected);

        try (ImageIndexWriter writer = ImageIndexWriter.open(concurrent, model, IndexSettings.DEFAULT, THREADS)) {
            writer.forceMerge(1);
            writer.commit(Map.of());
        }
        assertEquals(1, segments(concurrent));
        assertHolds(concurrent, expected);
        assertFalse(writeThreads().stream().anyMatch(Thread::isAlive));
    }
}
