package dev.mmr.encoder;

import dev.mmr.encoder.nn.MatMambaNetwork;
import dev.mmr.encoder.nn.NetworkShape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A loaded MatMamba-Vision checkpoint that encodes images with any nested submodel.
 * Thread-safe: one instance serves any number of threads at once.
 */
public final class MatMambaModel implements AutoCloseable {
    private static final int[] TRAINED_LEVELS = {1, 2, 4, 8};

    private final ModelConfig config;
    private final Preprocessing preprocessing;
    private final String fingerprint;
    private final MatMambaNetwork network;
    private final ImagePreprocessor preprocessor;

    private MatMambaModel(Checkpoint checkpoint) {
        this.config = checkpoint.config();
        this.preprocessing = checkpoint.preprocessing();
        this.fingerprint = checkpoint.fingerprint();
        this.preprocessor = new ImagePreprocessor(config.imageSize(), preprocessing);
        this.network = new MatMambaNetwork(NetworkShape.of(config), name -> checkpoint.tensor(name).data());
    }

    /** Loads {@code config.json}, the weights and the optional {@code preprocessing.json} of a model directory. */
    public static MatMambaModel load(Path modelDir) throws CheckpointException {
        return new MatMambaModel(Checkpoint.read(modelDir));
    }

    public ModelConfig config() {
        return config;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** Turns image files into this model's input: its image size and its preprocessing, so every caller agrees. */
    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    /** Hex SHA-256 over config.json, the weight file and preprocessing.json: identifies the function computed. */
    public String fingerprint() {
        return fingerprint;
    }

    /** The embedding dimension, D: the same for every submodel. */
    public int embeddingDim() {
        return config.dModel();
    }

    /** The full model, {@code level(1)}. */
    public Widths full() {
        return level(1);
    }

    /** The uniform submodel of width D/level in every layer. */
    public Widths level(int level) {
        if (level <= 0 || config.dModel() % level != 0) {
            throw new IllegalArgumentException("level " + level + " must be a positive divisor of d_model " + config.dModel());
        }
        int w = config.dModel() / level;
        checkWidth(w, -1);
        int[] perLayer = new int[config.nLayer()];
        java.util.Arrays.fill(perLayer, w);
        return new Widths(perLayer, "level" + level);
    }

    /** A Mix'n'Match submodel: one width per layer, each with 0 &lt; w &lt;= D and expand*w divisible by headdim. */
    public Widths widths(int... perLayer) {
        if (perLayer.length != config.nLayer()) {
            throw new IllegalArgumentException("one width per layer: got " + perLayer.length + " widths for " + config.nLayer() + " layers");
        }
        StringJoiner name = new StringJoiner("-", "mix:", "");
        for (int i = 0; i < perLayer.length; i++) {
            checkWidth(perLayer[i], i);
            name.add(Integer.toString(perLayer[i]));
        }
        return new Widths(perLayer, name.toString());
    }

    /** The jointly trained uniform levels 1, 2, 4, 8 that are valid for this architecture. */
    public List<Widths> trainedLevels() {
        List<Widths> levels = new ArrayList<>();
        for (int level : TRAINED_LEVELS) {
            int w = config.dModel() / level;
            if (config.dModel() % level == 0 && (config.expand() * w) % config.headdim() == 0) {
                levels.add(level(level));
            }
        }
        return List.copyOf(levels);
    }

    /** Parameters and matrix-multiply GFLOP per image of a submodel. */
    public Cost cost(Widths widths) {
        checkWidths(widths);
        return Cost.of(config, widths);
    }

    /**
     * Encodes {@code batch} preprocessed images ({@code batch x 3 x S x S} floats, NCHW row-major, as
     * {@link ImagePreprocessor} makes them) with the submodel {@code widths}.
     */
    public Encoding encode(float[] pixels, int batch, Widths widths) {
        int s = config.imageSize();
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        if (pixels.length != (long) batch * 3 * s * s) {
            throw new IllegalArgumentException("pixels must hold batch x 3 x " + s + " x " + s + " = "
                    + (long) batch * 3 * s * s + " floats, got " + pixels.length);
        }
        checkWidths(widths);
        MatMambaNetwork.Output out = network.forward(pixels, batch, widths.perLayer());
        int d = config.dModel();
        float[] embeddings = out.features().clone();
        for (int b = 0; b < batch; b++) {
            double ss = 0;
            for (int k = 0; k < d; k++) {
                ss += (double) embeddings[b * d + k] * embeddings[b * d + k];
            }
            float inv = ss > 0 ? (float) (1.0 / Math.sqrt(ss)) : 0f;
            for (int k = 0; k < d; k++) {
                embeddings[b * d + k] *= inv;
            }
        }
        return new Encoding(batch, d, config.nClasses(), out.features(), embeddings, out.logits());
    }

    /** Releases the native memory that holds the weights; the model must not be used afterwards. */
    @Override public void close() {
        network.close();
    }

    private void checkWidths(Widths widths) {
        int[] perLayer = widths.perLayer();
        if (perLayer.length != config.nLayer()) {
            throw new IllegalArgumentException("one width per layer: " + widths.name() + " has " + perLayer.length
                    + " widths for " + config.nLayer() + " layers");
        }
        for (int i = 0; i < perLayer.length; i++) {
            checkWidth(perLayer[i], i);
        }
    }

    private void checkWidth(int w, int layer) {
        String where = layer < 0 ? "" : " (layer " + layer + ")";
        if (w <= 0 || w > config.dModel()) {
            throw new IllegalArgumentException("width " + w + where + " must satisfy 0 < w <= d_model " + config.dModel());
        }
        if ((config.expand() * w) % config.headdim() != 0) {
            throw new IllegalArgumentException("width " + w + where + ": " + config.expand() + "*w must be divisible by headdim "
                    + config.headdim() + " (whole SSM heads)");
        }
    }
}
