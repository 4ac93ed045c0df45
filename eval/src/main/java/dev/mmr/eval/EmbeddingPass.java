package dev.mmr.eval;

import dev.mmr.encoder.EncodeBatch;
import dev.mmr.encoder.EncodeResult;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
import dev.mmr.indexer.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Encodes a corpus by several submodels of one model in a single read: each batch of images is
 * decoded and preprocessed once (in parallel), then encoded by every submodel. Unreadable images
 * are skipped and counted. Only the encoder's own time is charged to each submodel's images/s.
 */
public final class EmbeddingPass {
    private final MatMambaModel model;
    private final int batchSize;

    public EmbeddingPass(MatMambaModel model, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, was " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /** The embeddings of the corpus by each submodel, keyed like {@code submodels}' names. */
    public Map<String, Embeddings> run(List<Widths> submodels, ImageCorpus corpus, int limit, Progress progress) throws IOException {
        Run run = new Run(submodels, progress);
        corpus.forEach(limit, run::add);
        run.flush();
        progress.close();
        return run.finish();
    }

    /** The state of one read: the batch being filled and what every submodel produced so far. */
    private final class Run {
        private final List<dev.mmr.encoder.Submodel> submodels;
        private final Progress progress;
        private final Map<String, Accumulator> results = new LinkedHashMap<>();
        private final List<String> ids = new ArrayList<>();
        private final List<String> labels = new ArrayList<>();
        private final List<EncodeBatch.Image> pending = new ArrayList<>();
        private final List<String> pendingLabels = new ArrayList<>();
        private int skipped;

        Run(List<Widths> submodels, Progress progress) {
            this.submodels = submodels.stream().map(model::submodel).toList();
            this.progress = progress;
            submodels.forEach(w -> results.put(w.name(), new Accumulator()));
        }

        void add(String id, String label, byte[] bytes) {
            pending.add(new EncodeBatch.ImageBytes(id, bytes));
            pendingLabels.add(label);
            if (pending.size() == batchSize) {
                flush();
            }
        }

        void flush() {
            if (!pending.isEmpty()) {
                Map<dev.mmr.encoder.Submodel, EncodeResult> encoded = model.encode(new EncodeBatch(pending), submodels);
                EncodeResult first = encoded.get(submodels.getFirst());
                skipped += first.failures().size();
                for (EncodeResult.Embedded e : first.embedded()) {
                    ids.add(e.id());
                    labels.add(pendingLabels.get(e.index()));
                }
                encoded.forEach((submodel, result) -> results.get(submodel.name()).add(result, model.embeddingDim()));
            }
            progress.advance(pending.size());
            pending.clear();
            pendingLabels.clear();
        }

        Map<String, Embeddings> finish() {
            Map<String, Embeddings> out = new LinkedHashMap<>();
            results.forEach((name, acc) -> out.put(name, acc.finish(ids, labels, model.embeddingDim(), skipped)));
            return out;
        }
    }

    /** Grows one submodel's vectors and predictions batch by batch. */
    private static final class Accumulator {
        private float[] vectors = new float[0];
        private int[] predicted = new int[0];
        private int count;
        private long encodeNanos;

        void add(EncodeResult result, int dim) {
            int n = result.embedded().size();
            if (vectors.length < (count + n) * dim) {
                vectors = java.util.Arrays.copyOf(vectors, Math.max((count + n) * dim, vectors.length * 2));
                predicted = java.util.Arrays.copyOf(predicted, Math.max(count + n, predicted.length * 2));
            }
            for (EncodeResult.Embedded e : result.embedded()) {
                System.arraycopy(e.embedding(), 0, vectors, count * dim, dim);
                predicted[count++] = e.predictedClass();
            }
            encodeNanos += result.encodeNanos();
        }

        Embeddings finish(List<String> ids, List<String> labels, int dim, int skipped) {
            return new Embeddings(List.copyOf(ids), List.copyOf(labels), dim, java.util.Arrays.copyOf(vectors, count * dim),
                    java.util.Arrays.copyOf(predicted, count), encodeNanos / 1e9, skipped);
        }
    }
}
