package dev.mmr.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Denial of service by slow request bodies, bounded in time: attackers on loopback hold connections open while a
 * normal client searches. Each of the normal client's searches must be answered, and within a second.
 */
class SlowClientsTest {
    private static final int ATTACKERS = 70;
    private static final long ATTACK_MILLIS = 10_000;
    private static final double NORMAL_SEARCH_LIMIT_MS = 1000;
    @TempDir
    static Path reports;
    static TestCorpus.Running running;
    static byte[] cat;

    @BeforeAll
    static void start() throws Exception {
        // The embedding cache is off: every normal search decodes and encodes its image.
        running = TestCorpus.start(ServiceLimits.defaults().withCacheBytes(0), reports);
        try (var files = Files.list(TestCorpus.images().resolve("cat"))) {
            cat = Files.readAllBytes(files.sorted().findFirst().orElseThrow());
        }
        assertEquals(200, new Http(running.server().url()).post("/api/search?k=5&level=8", cat).status(), "warm-up search");
    }

    @AfterAll
    static void stop() throws Exception {
        running.close();
    }

    @Test
    void slowBodiesDoNotStarveANormalClient() throws Exception {
        int port = running.server().port();
        long end = System.currentTimeMillis() + ATTACK_MILLIS;
        AtomicLong connections = new AtomicLong();
        List<Thread> attackers = new ArrayList<>();
        for (int i = 0; i < ATTACKERS; i++) {
            attackers.add(Thread.ofVirtual().start(() -> slowBodies(port, end, connections)));
        }
        Thread.sleep(1500);
        List<Double> millis = normalSearches(end);
        attackers.forEach(Thread::interrupt);
        for (Thread t : attackers) {
            t.join();
        }
        double worst = millis.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        System.out.printf("slow bodies: %d attackers opened %d connections; a normal client made %d searches, slowest %.0f ms%n",
                ATTACKERS, connections.get(), millis.size(), worst);
        assertTrue(millis.size() >= 5, "the normal client got answers: " + millis);
        assertTrue(worst < NORMAL_SEARCH_LIMIT_MS, "every normal search under a second while slow bodies arrive: " + millis);
    }

    @Test
    void aStalledBodyAndATricklingBodyAreCutWith408() throws Exception {
        for (long pauseMillis : new long[] {60_000, 1000}) {
            try (Socket socket = new Socket("127.0.0.1", running.server().port())) {
                socket.setSoTimeout(20_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                long start = System.nanoTime();
                Thread trickle = Thread.ofVirtual().start(() -> {
                    try {
                        while (true) {
                            out.write(0);
                            out.flush();
                            Thread.sleep(pauseMillis);
                        }
                    } catch (IOException | InterruptedException e) {
                        // cut off, or the test is over
                    }
                });
                String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
                double seconds = (System.nanoTime() - start) / 1e9;
                trickle.interrupt();
                assertEquals("HTTP/1.1 408", answer, "a body pausing " + pauseMillis + " ms between bytes");
                assertTrue(seconds < 15, "cut after " + seconds + " s");
            }
        }
    }

    @Test
    void clientsUploadingHugeImagesDoNotStarveANormalClient() throws Exception {
        // The largest square image the model accepts (its pixel limit follows its input size), far over the 2 MP lane.
        int side = (int) Math.sqrt(running.model().preprocessor().maxPixels());
        byte[] huge = BigPng.solid(side, side, 0x808080);
        assertEquals(200, new Http(running.server().url()).post("/api/search?k=5&level=8", huge).status(), "warm-up: one huge image");
        long end = System.currentTimeMillis() + ATTACK_MILLIS;
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<Thread> attackers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            InetAddress from = InetAddress.getByName("127.0.0." + (2 + i));
            attackers.add(Thread.ofPlatform().start(() -> hugeUploads(from, huge, end, statuses)));
        }
        Thread.sleep(1000);
        List<Double> millis = normalSearches(end);
        for (Thread t : attackers) {
            t.join();
        }
        double worst = millis.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        System.out.printf("huge uploads: 8 clients, answers by status %s; a normal client made %d searches, slowest %.0f ms%n",
                statuses, millis.size(), worst);
        assertTrue(statuses.containsKey(200), "the huge images are served too, in turn: " + statuses);
        assertTrue(statuses.keySet().stream().allMatch(s -> s == 200 || s == 429 || s == 503), "no 5xx but 503: " + statuses);
        assertTrue(worst < NORMAL_SEARCH_LIMIT_MS, "every normal search under a second while huge images decode: " + millis);
    }

    /** One client uploading a huge image again and again, from its own loopback address; bytes after the image's end make each upload new to the embedding cache. */
    private static void hugeUploads(InetAddress from, byte[] image, long end, Map<Integer, AtomicInteger> statuses) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).localAddress(from).build();
        URI uri = running.server().url().resolve("/api/search?k=5&level=8");
        while (System.currentTimeMillis() < end) {
            try {
                byte[] distinct = java.util.Arrays.copyOf(image, image.length + 8);
                java.nio.ByteBuffer.wrap(distinct, image.length, 8).putLong(System.nanoTime());
                int status = client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofByteArray(distinct)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                if (status == 429 || status == 503) {
                    Thread.sleep(200);
                }
            } catch (IOException e) {
                statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Sequential searches until {@code end}; the time of each, all of which must be 200. */
    static List<Double> normalSearches(long end) throws Exception {
        Http http = new Http(running.server().url());
        List<Double> millis = new ArrayList<>();
        while (System.currentTimeMillis() < end) {
            long start = System.nanoTime();
            Http.Answer answer = http.post("/api/search?k=5&level=8", cat);
            millis.add((System.nanoTime() - start) / 1e6);
            assertEquals(200, answer.status(), () -> new String(answer.body(), StandardCharsets.UTF_8));
            Thread.sleep(100);
        }
        return millis;
    }

    /** One attacker: a search whose body promises 100 kB and sends one byte every two seconds; again when cut off. */
    private static void slowBodies(int port, long end, AtomicLong connections) {
        while (System.currentTimeMillis() < end && !Thread.currentThread().isInterrupted()) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
                connections.incrementAndGet();
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                while (System.currentTimeMillis() < end) {
                    out.write(0x89);
                    out.flush();
                    Thread.sleep(2000);
                }
            } catch (IOException e) {
                // cut off by the server: connect again
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
