package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mmr.encoder.MatMambaModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thumbnails of an indexed 40-megapixel PNG under a burst of requests: answered (or refused with 503 when the decode
 * queue is full, never 500), decoded subsampled so the heap stays small, and cached.
 */
class ThumbnailsTest {
    private static final String BIG_ID = "big/huge.png";
    private static final int WIDTH = 7000;
    private static final int HEIGHT = 5700;
    @TempDir
    static Path temp;
    static TestCorpus.Running running;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        Path big = temp.resolve("huge.png");
        Files.write(big, BigPng.solid(WIDTH, HEIGHT, 0x3366cc));
        MatMambaModel model = MatMambaModel.load(TestCorpus.model());
        Path index = TestCorpus.smallIndex(temp.resolve("index"), model, 20, Map.of(BIG_ID, big));
        running = TestCorpus.start(model, index, ServiceLimits.defaults(), temp.resolve("reports"));
        http = new Http(running.server().url());
    }

    @AfterAll
    static void stop() throws Exception {
        running.close();
    }

    @Test
    void aThumbnailOfA40MegapixelPngIsSmallAndCached() throws Exception {
        Http.Answer first = http.get("/api/items/" + BIG_ID + "/image?size=96");
        assertEquals(200, first.status(), () -> new String(first.body(), StandardCharsets.UTF_8));
        BufferedImage thumb = ImageIO.read(new ByteArrayInputStream(first.body()));
        assertEquals(64, thumb.getWidth(), "sides are rounded down to a power of two");
        assertEquals(Math.round(64.0 * HEIGHT / WIDTH), thumb.getHeight(), 1);
        assertEquals(0x3366cc, thumb.getRGB(40, 30) & 0xffffff, "the colour survives subsampling");
        long hits = metrics().get("cacheHits").asLong();
        Http.Answer again = http.get("/api/items/" + BIG_ID + "/image?size=127");
        assertEquals(200, again.status());
        assertTrue(metrics().get("cacheHits").asLong() > hits, "another size of the same power of two is a cache hit");
        refusedSize(0);
        refusedSize(Thumbnails.MAX_SIDE + 1);
    }

    @Test
    void aBurstOfThumbnailRequestsNeverFailsAndKeepsTheHeapSmall() throws Exception {
        long decodesBefore = metrics().get("decodes").asLong();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        AtomicLong peak = new AtomicLong(before);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger size = new AtomicInteger(100);
        long end = System.currentTimeMillis() + 6000;
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 16; c++) {
            clients.add(Thread.ofPlatform().start(() -> {
                Http mine = new Http(running.server().url());
                while (System.currentTimeMillis() < end) {
                    try {
                        Http.Answer a = mine.get("/api/items/" + BIG_ID + "/image?size=" + (65 + size.incrementAndGet() % 960));
                        statuses.computeIfAbsent(a.status(), s -> new AtomicInteger()).incrementAndGet();
                        if (a.status() == 503) {
                            assertEquals("thumbnails_busy", a.json().get("code").asText());
                        }
                    } catch (Exception e) {
                        statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                    }
                }
            }));
        }
        while (clients.stream().anyMatch(Thread::isAlive)) {
            peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
            Thread.sleep(20);
        }
        long grownMiB = (peak.get() - before) >> 20;
        long decodes = metrics().get("decodes").asLong() - decodesBefore;
        System.out.printf("thumbnail burst: answers by status %s, heap grew by at most %d MiB, %d decodes%n", statuses, grownMiB, decodes);
        assertTrue(decodes <= 5, "sizes 65..1024 round down to 64, 128, 256, 512 or 1024: " + decodes + " decodes");
        assertTrue(statuses.containsKey(200), "some thumbnails made: " + statuses);
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 503), "only 200 or 503: " + statuses);
        assertTrue(grownMiB < 1024, "heap grew by " + grownMiB + " MiB; one full decode of the image takes 114 MiB");
    }

    @Test
    void aFloodOfImageRequestsFromOneClientIsPacedToASteadyRate() throws Exception {
        int requests = 700;
        AtomicInteger left = new AtomicInteger(requests);
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        long start = System.nanoTime();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(Thread.ofPlatform().start(() -> {
                Http mine = new Http(running.server().url());
                while (left.getAndDecrement() > 0) {
                    try {
                        statuses.computeIfAbsent(mine.get("/api/items/" + BIG_ID + "/image?size=64").status(), s -> new AtomicInteger()).incrementAndGet();
                    } catch (Exception e) {
                        statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : clients) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double floor = (requests - SearchServer.IMAGE_BURST - 1) / SearchServer.IMAGES_PER_SECOND;
        System.out.printf("image flood: %d requests from one client answered %s in %.1f s%n", requests, statuses, seconds);
        assertEquals(Map.of(200, requests), Map.of(200, statuses.getOrDefault(200, new AtomicInteger()).get()), "all served: " + statuses);
        assertTrue(seconds >= floor * 0.95, "paced: " + requests + " requests took " + seconds + " s, at least " + floor + " s expected");
    }

    private static JsonNode metrics() throws Exception {
        return http.get("/api/metrics").json().get("thumbnails");
    }

    private static void refusedSize(int size) throws Exception {
        Http.Answer a = http.get("/api/items/" + BIG_ID + "/image?size=" + size);
        assertEquals(400, a.status());
        assertEquals("bad_parameter", a.json().get("code").asText());
    }
}
