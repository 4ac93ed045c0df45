package dev.mmr.app.indexer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.BulkIndexer;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.TestCorpus;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a real indexing process with SIGKILL part-way, reruns the same command, and checks nothing is lost or doubled. */
class KillResumeTest {
    private static final int IMAGES = 300;

    @TempDir
    Path tmp;

    private Process start(Path archive, Path index, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "dev.mmr.app.Mmr",
                "index", "--model", TestCorpus.goldenTiny().toString(), "--source", archive.toString(), "--index", index.toString(),
                "--batch", "8", "--threads", "1", "--commit-every", "16", "--quiet"));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    private static Map<String, String> lastCommit(Path index) throws IOException {
        try (var dir = FSDirectory.open(index)) {
            if (!DirectoryReader.indexExists(dir)) return Map.of();
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                return reader.getIndexCommit().getUserData();
            }
        }
    }

    @Test
    void killedRunResumesToEveryImageExactlyOnce() throws Exception {
        Map<String, byte[]> images = new LinkedHashMap<>(TestCorpus.cifar(IMAGES));
        images.put("train/corrupt/0000.jpg", "not a jpeg".getBytes());
        Path archive = TestCorpus.tarGz(tmp.resolve("corpus.tar.gz"), images);
        Path index = tmp.resolve("index");
        Path log = tmp.resolve("child.log");

        Process child = start(archive, index, log);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Map<String, String> atKill = Map.of();
        while (System.nanoTime() < deadline && child.isAlive()) {
            atKill = lastCommit(index);
            if (Integer.parseInt(atKill.getOrDefault(IndexSchema.COUNT, "0")) >= 48) break;
            Thread.sleep(5);
        }
        child.destroyForcibly().waitFor();
        assertEquals(IndexSchema.STATE_PARTIAL, atKill.get(IndexSchema.STATE), "the child must be killed part-way: " + Files.readString(log));
        int committedAtKill = Integer.parseInt(lastCommit(index).get(IndexSchema.COUNT));
        assertTrue(committedAtKill < IMAGES, "killed after " + committedAtKill);

        Process rerun = start(archive, index, log);
        assertTrue(rerun.waitFor(5, TimeUnit.MINUTES), "rerun did not finish");
        assertEquals(0, rerun.exitValue(), Files.readString(log));
        assertEquals(IndexSchema.STATE_COMPLETE, lastCommit(index).get(IndexSchema.STATE));

        try (var dir = FSDirectory.open(index); DirectoryReader reader = DirectoryReader.open(dir)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            assertEquals(IMAGES, reader.numDocs());
            for (String id : images.keySet()) {
                int expected = id.startsWith("train/corrupt/") ? 0 : 1;
                assertEquals(expected, searcher.count(new TermQuery(new Term(IndexSchema.ID, id))), id);
            }
        }
        List<String> rejects = Files.readAllLines(index.resolve("rejects.tsv"));
        assertEquals(1, rejects.size(), rejects.toString());
        assertTrue(rejects.get(0).startsWith("train/corrupt/0000.jpg\t"), rejects.get(0));

        Path clean = tmp.resolve("clean");
        try (MatMambaModel model = MatMambaModel.load(TestCorpus.goldenTiny());
             ImageSource source = ImageSource.open(archive, null)) {
            try (ImageIndexWriter writer = ImageIndexWriter.open(clean, model, IndexSettings.DEFAULT)) {
                new BulkIndexer(model, writer, new BulkIndexer.Options(32, 1, 10_000, Duration.ofMinutes(1), 0))
                        .run(source, clean.resolve("rejects.tsv"));
            }
            try (ImageIndex resumed = ImageIndex.open(index, model); ImageIndex reference = ImageIndex.open(clean, model)) {
                assertEquals(reference.size(), resumed.size());
                for (String id : images.keySet()) {
                    if (id.startsWith("train/corrupt/")) continue;
                    assertArrayEquals(reference.vector(id).orElseThrow(), resumed.vector(id).orElseThrow(), 1e-5f, id);
                    assertEquals(reference.get(id), resumed.get(id));
                }
            }
        }
    }
}
