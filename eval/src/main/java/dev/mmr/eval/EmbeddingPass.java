package dev.mmr.eval;

import dev.mmr.encoder.Encoding;
import dev.mmr.encoder.ImageDecodeException;
import dev.mmr.encoder.ImagePreprocessor;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Widths;
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
        int dim = model.embeddingDim();
        ImagePreprocessor preprocessor = model.preprocessor();
        List<String> ids = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        Map<String, Accumulator> results = new LinkedHashMap<>();
        submodels.forEach(w -> results.put(w.name(), new Accumulator()));
        List<String[]> pendingNames = new ArrayList<>();
        List<byte[]> pendingBytes = new ArrayList<>();
        int[] skipped = {0};
        Runnable flush = () -> {
            float[][] pixels = preprocessAll(preprocessor, pendingBytes);
            List<float[]> good = new ArrayList<>();
            for (int i = 0; i < pixels.length; i++) {
                if (pixels[i] == null) {
                    skipped[0]++;
                } else {
                    good.add(pixels[i]);
                    ids.add(pendingNames.get(i)[0]);
                    labels.add(pendingNames.get(i)[1]);
                }
            }
            if (!good.isEmpty()) {
                float[] batch = concatenate(good);
                for (Widths widths : submodels) {
                    long start = System.nanoTime();
                    Encoding encoding = model.encode(batch, good.size(), widths);
                    long elapsed = System.nanoTime() - start;
                    results.get(widths.name()).add(encoding, elapsed, dim);
                }
            }
            progress.advance(pendingBytes.size());
            pendingNames.clear();
            pendingBytes.clear();
        };
        corpus.forEach(limit, (id, label, bytes) -> {
            pendingNames.add(new String[] {id, label});
            pendingBytes.add(bytes);
            if (pendingBytes.size() == batchSize) {
                flush.run();
            }
        });
        if (!pendingBytes.isEmpty()) {
            flush.run();
        }
        progress.done();
        Map<String, Embeddings> out = new LinkedHashMap<>();
        results.forEach((name, acc) -> out.put(name, acc.finish(ids, labels, dim, skipped[0])));
        return out;
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
