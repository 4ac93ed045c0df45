package dev.mmr.eval;

import dev.mmr.encoder.Encoding;
import dev.mmr.encoder.ImageDecodeException;
import dev.mmr.encoder.ImagePreprocessor;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
import dev.mmr.indexer.Progress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

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
        private final List<Widths> submodels;
        private final Progress progress;
        private final ImagePreprocessor preprocessor = model.preprocessor();
        private final Map<String, Accumulator> results = new LinkedHashMap<>();
        private final List<String> ids = new ArrayList<>();
        private final List<String> labels = new ArrayList<>();
        private final List<String> pendingIds = new ArrayList<>();
        private final List<String> pendingLabels = new ArrayList<>();
        private final List<byte[]> pendingBytes = new ArrayList<>();
        private int skipped;

        Run(List<Widths> submodels, Progress progress) {
            this.submodels = submodels;
            this.progress = progress;
            submodels.forEach(w -> results.put(w.name(), new Accumulator()));
        }

        void add(String id, String label, byte[] bytes) {
            pendingIds.add(id);
            pendingLabels.add(label);
            pendingBytes.add(bytes);
            if (pendingBytes.size() == batchSize) {
                flush();
            }
        }

        void flush() {
            float[][] pixels = preprocessAll(preprocessor, pendingBytes);
            List<float[]> decoded = new ArrayList<>();
            for (int i = 0; i < pixels.length; i++) {
                if (pixels[i] == null) {
                    skipped++;
                } else {
                    decoded.add(pixels[i]);
                    ids.add(pendingIds.get(i));
                    labels.add(pendingLabels.get(i));
                }
            }
            if (!decoded.isEmpty()) {
                float[] batch = concatenate(decoded);
                for (Widths widths : submodels) {
                    long start = System.nanoTime();
                    Encoding encoding = model.encode(batch, decoded.size(), widths);
                    results.get(widths.name()).add(encoding, System.nanoTime() - start, model.embeddingDim());
                }
            }
            progress.advance(pendingBytes.size());
            pendingIds.clear();
            pendingLabels.clear();
            pendingBytes.clear();
        }

        Map<String, Embeddings> finish() {
            Map<String, Embeddings> out = new LinkedHashMap<>();
            results.forEach((name, acc) -> out.put(name, acc.finish(ids, labels, model.embeddingDim(), skipped)));
            return out;
        }
    }

    private static float[][] preprocessAll(ImagePreprocessor preprocessor, List<byte[]> images) {
        float[][] pixels = new float[images.size()][];
        IntStream.range(0, images.size()).parallel().forEach(i -> {
            try {
                pixels[i] = preprocessor.preprocess(images.get(i));
            } catch (ImageDecodeException e) {
                pixels[i] = null;
            }
        });
        return pixels;
    }

    private static float[] concatenate(List<float[]> rows) {
        int width = rows.get(0).length;
        float[] all = new float[rows.size() * width];
        for (int i = 0; i < rows.size(); i++) {
            System.arraycopy(rows.get(i), 0, all, i * width, width);
        }
        return all;
    }

    /** Grows one submodel's vectors and predictions batch by batch. */
    private static final class Accumulator {
        private float[] vectors = new float[0];
        private int[] predicted = new int[0];
        private int count;
        private long encodeNanos;

        void add(Encoding encoding, long nanos, int dim) {
            int n = encoding.batch();
            if (vectors.length < (count + n) * dim) {
                vectors = java.util.Arrays.copyOf(vectors, Math.max((count + n) * dim, vectors.length * 2));
                predicted = java.util.Arrays.copyOf(predicted, Math.max(count + n, predicted.length * 2));
            }
            for (int i = 0; i < n; i++) {
                System.arraycopy(encoding.embedding(i), 0, vectors, (count + i) * dim, dim);
                predicted[count + i] = argmax(encoding.logits(i));
            }
            count += n;
            encodeNanos += nanos;
        }

        Embeddings finish(List<String> ids, List<String> labels, int dim, int skipped) {
            return new Embeddings(List.copyOf(ids), List.copyOf(labels), dim, java.util.Arrays.copyOf(vectors, count * dim),
                    java.util.Arrays.copyOf(predicted, count), encodeNanos / 1e9, skipped);
        }

        private static int argmax(float[] values) {
            int best = 0;
            for (int i = 1; i < values.length; i++) {
                if (values[i] > values[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}
