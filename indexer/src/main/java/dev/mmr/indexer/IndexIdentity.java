package dev.mmr.indexer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Preprocessing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What produced a store, as every store records it (keys of {@link IndexSchema}): format, model fingerprint, widths,
 * image size, preprocessing, embedding dimension and similarity, HNSW settings. And the check that refuses to mix models.
 */
public final class IndexIdentity {
    private static final double UNIT_NORM_TOLERANCE = 1e-3;

    private IndexIdentity() {
    }

    /** The identity entries of a store written by {@code model} with {@code settings}. */
    public static Map<String, String> of(MatMambaModel model, IndexSettings settings) {
        Preprocessing p = model.preprocessing();
        Map<String, Object> preprocessing = new LinkedHashMap<>();
        preprocessing.put("crop_ratio", p.cropRatio());
        preprocessing.put("mean", p.mean());
        preprocessing.put("std", p.std());
        Map<String, String> data = new LinkedHashMap<>();
        data.put(IndexSchema.FORMAT, IndexSchema.FORMAT_VERSION);
        data.put(IndexSchema.MODEL_FINGERPRINT, model.fingerprint());
        data.put(IndexSchema.MODEL_WIDTHS, model.full().name());
        data.put(IndexSchema.MODEL_IMAGE_SIZE, Integer.toString(model.config().imageSize()));
        try {
            data.put(IndexSchema.PREPROCESSING, new ObjectMapper().writeValueAsString(preprocessing));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        data.put(IndexSchema.DIMENSION, Integer.toString(model.embeddingDim()));
        data.put(IndexSchema.SIMILARITY_KEY, IndexSchema.SIMILARITY.name().toLowerCase(Locale.ROOT));
        data.put(IndexSchema.QUANTIZATION, settings.quantization().key());
        data.put(IndexSchema.MAX_CONNECTIONS, Integer.toString(settings.maxConnections()));
        data.put(IndexSchema.BEAM_WIDTH, Integer.toString(settings.beamWidth()));
        return data;
    }

    /** Refuses a store that is not of this format. */
    public static void checkFormat(String where, IndexInfo info) throws IndexMismatchException {
        if (!IndexSchema.FORMAT_VERSION.equals(info.commitData().get(IndexSchema.FORMAT)))
            throw new IndexMismatchException(where + " is not an image index of format " + IndexSchema.FORMAT_VERSION
                    + " (it records format " + info.commitData().get(IndexSchema.FORMAT) + ")");
    }

    /** Refuses a store built by a model with another fingerprint or dimension than {@code model}. */
    public static void checkModel(String where, IndexInfo info, MatMambaModel model) throws IndexMismatchException {
        String built = info.modelFingerprint();
        if (built == null) throw new IndexMismatchException(where + " is not an image index (it names no model fingerprint)");
        if (!built.equals(model.fingerprint()))
            throw new IndexMismatchException("the " + where + " was built by the model with fingerprint " + built
                    + ", but the model given has fingerprint " + model.fingerprint()
                    + ": use the model that built the index, or re-index with this one");
        if (info.dimension() != model.embeddingDim())
            throw new IndexMismatchException("the " + where + " holds " + info.dimension() + "-dimensional embeddings, the model emits "
                    + model.embeddingDim());
    }

    /** Refuses an embedding that is not full-width for the store or not L2-normalised. */
    public static void checkEmbedding(String id, float[] embedding, int dimension) {
        if (embedding.length != dimension)
            throw new IllegalArgumentException("embedding has " + embedding.length + " dimensions, the index " + dimension);
        double norm = 0;
        for (float v : embedding) norm += (double) v * v;
        if (!(Math.abs(Math.sqrt(norm) - 1) < UNIT_NORM_TOLERANCE))
            throw new IllegalArgumentException("embedding of " + id + " is not L2-normalised (norm " + Math.sqrt(norm) + ")");
    }
}
