package dev.mmr.encoder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.IntStream;

/**
 * A loaded MatMamba-Vision checkpoint that encodes images with any nested submodel, on the backend of the device
 * chosen at load time ({@link BackendChoice}). Thread-safe: one instance serves any number of threads at once; callers
 * size their batches and encode workers from {@link #preferredBatch()} and {@link #concurrency()}.
 */
public final class MatMambaModel implements AutoCloseable {
    private static final int[] TRAINED_LEVELS = {1, 2, 4, 8};

    private final ModelConfig config;
    private final Preprocessing preprocessing;
    private final String fingerprint;
    private final ImagePreprocessor preprocessor;
    private final String device;
    private final EncoderBackend backend;

    private MatMambaModel(Checkpoint checkpoint, Device requested, Precision precision) {
        this.config = checkpoint.config();
        this.preprocessing = checkpoint.preprocessing();
        this.fingerprint = checkpoint.fingerprint();
        this.preprocessor = new ImagePreprocessor(config.imageSize(), preprocessing);
        BackendChoice choice = BackendChoice.choose(requested);
        this.backend = choice.provider().open(config, name -> checkpoint.tensor(name).data(), precision);
        this.device = choice.describe() + "; " + backend.description() + "; precision " + precision.name().toLowerCase(Locale.ROOT);
        System.err.println("encoder device: " + device);
    }

    /** {@link #load(Path, Device, Precision)} on the {@code auto} device in fp32. */
    public static MatMambaModel load(Path modelDir) throws CheckpointException {
        return load(modelDir, Device.AUTO, Precision.FP32);
    }

    /**
     * Loads {@code config.json}, the weights and the optional {@code preprocessing.json} of a model directory onto the
     * backend of {@code device}, printing the device chosen and why to standard error.
     *
     * @throws IllegalArgumentException when the device is not usable here or does not compute at {@code precision}
     */
    public static MatMambaModel load(Path modelDir, Device device, Precision precision) throws CheckpointException {
        return new MatMambaModel(Checkpoint.read(modelDir), device, precision);
    }

    /** The device chosen, why, and what runs the network there: the line printed at load time. */
    public String device() {
        return device;
    }

    /** The batch size at which the backend reaches its throughput. */
    public int preferredBatch() {
        return backend.preferredBatch();
    }

    /** How many encode calls may usefully run at once on the backend. */
    public int concurrency() {
        return backend.concurrency();
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
        Arrays.fill(perLayer, w);
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

    /** The submodel of {@code widths} on this model, with its cost. */
    public Submodel submodel(Widths widths) {
        return new Submodel(widths, cost(widths));
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
        NetworkOutput out = backend.forward(pixels, batch, widths.perLayer());
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

    /** {@link #encode(EncodeBatch, List)} by one submodel. */
    public EncodeResult encode(EncodeBatch batch, Submodel submodel) {
        return encode(batch, List.of(submodel)).get(submodel);
    }

    /**
     * Decodes and preprocesses the images of {@code batch} once (in parallel), then encodes the usable ones by each
     * submodel in one call. An image that cannot be decoded, or pixels of the wrong size, fail alone.
     */
    public Map<Submodel, EncodeResult> encode(EncodeBatch batch, List<Submodel> submodels) {
        submodels.forEach(s -> checkWidths(s.widths()));
        int imageFloats = 3 * config.imageSize() * config.imageSize();
        List<EncodeBatch.Image> images = batch.images();
        float[][] pixels = new float[images.size()][];
        Exception[] errors = new Exception[images.size()];
        IntStream.range(0, images.size()).parallel().forEach(i -> {
            try {
                pixels[i] = pixelsOf(images.get(i), imageFloats);
            } catch (ImageDecodeException | RuntimeException e) {
                errors[i] = e;
            }
        });
        List<Integer> usable = IntStream.range(0, images.size()).filter(i -> errors[i] == null).boxed().toList();
        List<EncodeResult.Failure> failures = IntStream.range(0, images.size()).filter(i -> errors[i] != null)
                .mapToObj(i -> new EncodeResult.Failure(i, images.get(i).id(), errors[i])).toList();
        float[] packed = new float[usable.size() * imageFloats];
        for (int j = 0; j < usable.size(); j++) {
            System.arraycopy(pixels[usable.get(j)], 0, packed, j * imageFloats, imageFloats);
        }
        Map<Submodel, EncodeResult> results = new LinkedHashMap<>();
        for (Submodel submodel : submodels) {
            List<EncodeResult.Embedded> embedded = new ArrayList<>(usable.size());
            long nanos = 0;
            if (!usable.isEmpty()) {
                long start = System.nanoTime();
                Encoding e = encode(packed, usable.size(), submodel.widths());
                nanos = System.nanoTime() - start;
                for (int j = 0; j < usable.size(); j++) {
                    int i = usable.get(j);
                    embedded.add(new EncodeResult.Embedded(i, images.get(i).id(), e.embedding(j), e.logits(j)));
                }
            }
            results.put(submodel, new EncodeResult(submodel, embedded, failures, nanos));
        }
        return results;
    }

    private float[] pixelsOf(EncodeBatch.Image image, int imageFloats) throws ImageDecodeException {
        return switch (image) {
            case EncodeBatch.ImageBytes b -> preprocessor.preprocess(b.bytes());
            case EncodeBatch.ImagePixels p -> {
                if (p.pixels().length != imageFloats) {
                    throw new IllegalArgumentException("image " + p.id() + ": " + p.pixels().length + " floats, the model needs 3 x "
                            + config.imageSize() + " x " + config.imageSize() + " = " + imageFloats);
                }
                yield p.pixels();
            }
        };
    }

    /** Releases the memory that holds the weights (native or device); the model must not be used afterwards. */
    @Override public void close() {
        backend.close();
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
