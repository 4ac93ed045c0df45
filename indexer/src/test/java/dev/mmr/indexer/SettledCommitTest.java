package dev.mmr.indexer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ImageIndexWriter#commitSettled} keeps the merges that its commit starts: one segment more than the merge
 * policy allows, committed settled and closed at once, is found merged on reopening, with every image.
 */
class SettledCommitTest {
    /** TieredMergePolicy's segments per tier (its default): one more small segment than this starts a merge. */
    private static final int SEGMENTS_PER_TIER = (int) new TieredMergePolicy().getSegmentsPerTier();
    /**
     * Images a segment: enough that merging the segments takes longer than a commit waits for the merges it starts
     * (IndexWriterConfig's maxFullFlushMergeWaitMillis), so that without the settling the merge is still running at close.
     */
    private static final int PER_SEGMENT = 1000;

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

    private static void putSegment(ImageIndexWriter writer, int segment, SplittableRandom random) throws Exception {
        List<ImageEntry> entries = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        for (int i = 0; i < PER_SEGMENT; i++) {
            String id = "img-" + segment + "-" + i;
            entries.add(new ImageEntry(id, new ImageLocation.File(Path.of(id + ".jpg")), null, Map.of()));
            vectors.add(TestCorpus.randomUnitVector(model.embeddingDim(), random));
        }
        writer.put(entries, vectors);
    }

    @Test
    void theLastCommitsMergesAreKept() throws Exception {
        Path dir = tmp.resolve("index");
        SplittableRandom random = new SplittableRandom(5);
        int segments = SEGMENTS_PER_TIER + 1;
        try (ImageIndexWriter writer = ImageIndexWriter.open(dir, model, IndexSettings.DEFAULT, 1)) {
            for (int s = 0; s < segments - 1; s++) {
                putSegment(writer, s, random);
                writer.commit(Map.of());
            }
            putSegment(writer, segments - 1, random);
            writer.commitSettled(Map.of(IndexSchema.STATE, IndexSchema.STATE_COMPLETE));
        }
        try (FSDirectory directory = FSDirectory.open(dir); DirectoryReader reader = DirectoryReader.open(directory)) {
            assertEquals(segments * PER_SEGMENT, reader.numDocs());
            assertTrue(reader.leaves().size() <= SEGMENTS_PER_TIER,
                    segments + " segments written, " + reader.leaves().size() + " committed: the merge the last commit started was lost");
            assertEquals(IndexSchema.STATE_COMPLETE, reader.getIndexCommit().getUserData().get(IndexSchema.STATE));
        }
    }
}
