package dev.mmr.eval;

import dev.mmr.encoder.MatMambaModel;
import dev.mmr.indexer.Hit;
import dev.mmr.indexer.ImageIndex;
import dev.mmr.indexer.ImageIndexWriter;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.Progress;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The database embeddings in a real image index on disk, written and searched through the indexer's
 * API exactly as the search service uses it (HNSW graph, optional quantization, exact rescoring of
 * the candidates), built only to measure how much of the exact top-k the approximate search finds.
 */
public final class HnswIndex implements AutoCloseable {
    private final ImageIndex index;
    private final Map<String, Integer> rowOfId;

    private HnswIndex(ImageIndex index, Map<String, Integer> rowOfId) {
        this.index = index;
        this.rowOfId = rowOfId;
    }

    /** Writes one image per database row into {@code dir} (which must not hold an index yet) and opens it. */
    public static HnswIndex build(Embeddings database, MatMambaModel model, IndexSettings settings, Path dir, Progress progress)
            throws IOException {
        Map<String, Integer> rowOfId = new HashMap<>();
        int dim = database.dim();
        try (ImageIndexWriter writer = ImageIndexWriter.open(dir, model, settings)) {
            for (int row = 0; row < database.size(); row++) {
                String id = database.ids().get(row);
                writer.put(new ImageEntry(id, new ImageLocation.File(Path.of(id)), database.labels().get(row), Map.of()),
                        Arrays.copyOfRange(database.vectors(), row * dim, (row + 1) * dim));
                rowOfId.put(id, row);
                progress.advance(1);
            }
            writer.commit(Map.of());
        }
        progress.close();
        return new HnswIndex(ImageIndex.open(dir, model), rowOfId);
    }

    /** The approximate top-k database rows of each query row, best first, exploring {@code candidates} graph entries per query. */
    public Neighbours search(float[] queries, int dim, int k, int candidates) throws IOException {
        int m = queries.length / dim;
        int kept = Math.min(k, rowOfId.size());
        int[] index = new int[m * kept];
        float[] score = new float[m * kept];
        for (int q = 0; q < m; q++) {
            List<Hit> hits = this.index.search(Arrays.copyOfRange(queries, q * dim, (q + 1) * dim), kept, null, candidates);
            for (int r = 0; r < kept; r++) {
                boolean present = r < hits.size();
                index[q * kept + r] = present ? rowOfId.get(hits.get(r).image().id()) : -1;
                score[q * kept + r] = present ? hits.get(r).similarity() : Float.NEGATIVE_INFINITY;
            }
        }
        return new Neighbours(m, kept, index, score);
    }

    @Override
    public void close() throws IOException {
        index.close();
    }
}
