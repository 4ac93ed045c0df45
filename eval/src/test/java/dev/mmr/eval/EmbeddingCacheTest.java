package dev.mmr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {
    @TempDir Path dir;

    private static Embeddings sample() {
        return new Embeddings(List.of("train/cat/1.jpg", "train/dog/2.jpg"), List.of("cat", "dog"), 3,
                new float[] {0.6f, 0.8f, 0, -1, 0, 0}, new int[] {3, 5}, 1.25, 1);
    }

    @Test
    void roundTripsEveryField() throws Exception {
        EmbeddingCache cache = new EmbeddingCache(dir);
        String key = EmbeddingCache.key("abc", "level1", "folder:/data/train", 0);
        cache.put(key, sample());
        Embeddings back = cache.get(key).orElseThrow();
        assertEquals(sample().ids(), back.ids());
        assertEquals(sample().labels(), back.labels());
        assertArrayEquals(sample().vectors(), back.vectors());
        assertArrayEquals(sample().predictedClass(), back.predictedClass());
        assertEquals(1.25, back.encodeSeconds());
        assertEquals(1, back.skipped());
    }

    @Test
    void theKeyChangesWithFingerprintWidthsSourceAndLimit() throws Exception {
        String base = EmbeddingCache.key("abc", "level1", "src", 0);
        Set<String> keys = Set.of(base, EmbeddingCache.key("abd", "level1", "src", 0), EmbeddingCache.key("abc", "level2", "src", 0),
                EmbeddingCache.key("abc", "level1", "src2", 0), EmbeddingCache.key("abc", "level1", "src", 100));
        assertEquals(5, keys.size());
        assertEquals(base, EmbeddingCache.key("abc", "level1", "src", 0));

        EmbeddingCache cache = new EmbeddingCache(dir);
        cache.put(base, sample());
        assertTrue(cache.get(base).isPresent());
        assertTrue(cache.get(EmbeddingCache.key("another-model", "level1", "src", 0)).isEmpty());
    }

    @Test
    void aTruncatedOrForeignEntryCountsAsAbsent() throws Exception {
        EmbeddingCache cache = new EmbeddingCache(dir);
        String key = EmbeddingCache.key("abc", "level1", "src", 0);
        cache.put(key, sample());
        byte[] whole = Files.readAllBytes(cache.file(key));
        Files.write(cache.file(key), java.util.Arrays.copyOf(whole, whole.length - 5));
        assertTrue(cache.get(key).isEmpty());
        Files.writeString(cache.file(key), "not a cache entry");
        assertTrue(cache.get(key).isEmpty());
        cache.put(key, sample());
        assertTrue(cache.get(key).isPresent());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(cache.file(key)), files.toList(), "no temporary files are left behind");
        }
        assertNotEquals(0, Files.size(cache.file(key)));
    }
}
