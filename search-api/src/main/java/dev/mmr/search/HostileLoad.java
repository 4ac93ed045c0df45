package dev.mmr.search;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The attackers of {@code bench-serve --hostile}, running beside the normal clients: {@value #SLOW_BODIES}
 * connections that send a search body one byte every two seconds (reconnecting when cut off), and
 * {@value #THUMBNAIL_CLIENTS} clients asking for ever new thumbnail sizes of a 40-megapixel PNG. Also samples the
 * process's resident memory.
 */
public final class HostileLoad implements AutoCloseable {
    public static final int SLOW_BODIES = 70;
    public static final int THUMBNAIL_CLIENTS = 16;
    static final String HUGE_ID = "hostile/huge-40mp.png";
    private final List<Thread> threads = new ArrayList<>();
    private final Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    private final AtomicLong slowConnections = new AtomicLong();
    private final AtomicLong peakRssKiB = new AtomicLong();
    private volatile boolean running = true;

    /** A copy of {@code index} in {@code work} with a 40-megapixel PNG added under {@link #HUGE_ID}. */
    public static Path indexWithHugeImage(Path index, MatMambaModel model, Path work) throws IOException {
        Path copy = Files.createDirectories(work.resolve("index"));
        try (var files = Files.list(index)) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().equals("write.lock")).toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path huge = work.resolve("huge-40mp.png");
        Files.write(huge, BigPng.solid(7000, 5700, 0x4080c0));
        float[][] anyVector = new float[1][];
        try (ImageIndex opened = ImageIndex.open(copy, model)) {
            opened.forEach((image, embedding) -> {
                if (anyVector[0] == null) {
                    anyVector[0] = embedding;
                }
            });
        }
        try (ImageIndexWriter writer = ImageIndexWriter.open(copy, model, IndexSettings.DEFAULT)) {
            writer.put(new ImageEntry(HUGE_ID, new ImageLocation.File(huge.toAbsolutePath()), "hostile", Map.of()), anyVector[0]);
            writer.commit(Map.of());
        }
        return copy;
    }

    /** Deletes the folder made for {@link #indexWithHugeImage}. */
    public static void delete(Path work) throws IOException {
        try (var paths = Files.walk(work)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    public HostileLoad(URI base) {
        for (int i = 0; i < SLOW_BODIES; i++) {
            threads.add(Thread.ofVirtual().start(() -> slowBodies(base)));
        }
        for (int i = 0; i < THUMBNAIL_CLIENTS; i++) {
            int first = 64 + i * 1000;
            threads.add(Thread.ofPlatform().name("thumbnail-attacker-" + i).daemon().start(() -> thumbnails(base, first)));
        }
        threads.add(Thread.ofPlatform().name("rss-sampler").daemon().start(this::sampleRss));
    }

    /** The attackers' answers by kind and status, e.g. {@code thumbnail 503}. */
    public Map<String, Long> answers() {
        Map<String, Long> out = new TreeMap<>();
        answers.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    public long slowConnections() {
        return slowConnections.get();
    }

    public long peakRssMiB() {
        return peakRssKiB.get() >> 10;
    }

    private void slowBodies(URI base) {
        while (running) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
                slowConnections.incrementAndGet();
                OutputStream out = socket.getOutputStream();
                out.write(("POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                        + "Content-Length: 100000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                while (running) {
                    out.write(0x89);
                    out.flush();
                    Thread.sleep(2000);
                }
            } catch (IOException e) {
                count("slow-body cut");
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void thumbnails(URI base, int firstSize) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (int size = firstSize; running; size = size >= 1024 ? 64 : size + 1) {
            URI uri = base.resolve(SearchService.imageUrl(HUGE_ID) + "?size=" + size);
            try {
                int status = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                count("thumbnail " + status);
            } catch (IOException e) {
                count("thumbnail failed");
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sampleRss() {
        while (running) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                        peakRssKiB.accumulateAndGet(kib, Math::max);
                    }
                }
                Thread.sleep(100);
            } catch (IOException e) {
                return; // no /proc: resident memory is not reported
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void count(String kind) {
        answers.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
    }
}
