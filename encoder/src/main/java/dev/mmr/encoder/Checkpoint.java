package dev.mmr.encoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.codec.binary.Hex;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * A model directory read and checked: {@code config.json}, an optional {@code preprocessing.json}, and the
 * weights as {@code model.safetensors} (F32, F16 or BF16; preferred when both are present) or PyTorch's zip
 * {@code pytorch_model.bin}. A {@code module.} prefix on every key (multi-GPU training) is dropped. Every tensor
 * the config implies must be present with its exact shape and every value finite; missing, extra and
 * mis-shaped tensors are refused naming the tensor. Weights are held as float32.
 */
public final class Checkpoint {

    public static final String CONFIG_FILE = "config.json";
    public static final String PREPROCESSING_FILE = "preprocessing.json";
    public static final String SAFETENSORS_FILE = "model.safetensors";
    public static final String TORCH_FILE = "pytorch_model.bin";

    private static final String DATA_PARALLEL_PREFIX = "module.";
    /** Largest config.json or preprocessing.json read. */
    private static final long MAX_CONFIG_BYTES = 1 << 20;

    private final ModelConfig config;
    private final Preprocessing preprocessing;
    private final Map<String, Tensor> tensors;
    private final String fingerprint;

    private Checkpoint(ModelConfig config, Preprocessing preprocessing, Map<String, Tensor> tensors, String fingerprint) {
        this.config = config;
        this.preprocessing = preprocessing;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.fingerprint = fingerprint;
    }

    /** Reads and validates the model directory {@code dir}; every failure is a {@link CheckpointException} naming its cause. */
    public static Checkpoint read(Path dir) throws CheckpointException {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + ": not a model directory");
        }
        byte[] configBytes = readSmallFile(dir.resolve(CONFIG_FILE), true);
        ModelConfig config = ModelConfig.parse(configBytes, CONFIG_FILE);
        byte[] preprocessingBytes = readSmallFile(dir.resolve(PREPROCESSING_FILE), false);
        Preprocessing preprocessing = preprocessingBytes == null ? Preprocessing.IMAGENET
                : Preprocessing.parse(preprocessingBytes, PREPROCESSING_FILE);

        Path safetensors = dir.resolve(SAFETENSORS_FILE);
        Path torchZip = dir.resolve(TORCH_FILE);
        Path weights;
        if (Files.exists(safetensors, LinkOption.NOFOLLOW_LINKS)) {
            weights = safetensors;
        } else if (Files.exists(torchZip, LinkOption.NOFOLLOW_LINKS)) {
            weights = torchZip;
        } else {
            throw new CheckpointException(dir + ": no weights: expected " + SAFETENSORS_FILE + " or " + TORCH_FILE);
        }
        requireRoomForParameters(config, weights);
        Map<String, Tensor> raw = weights == safetensors ? SafeTensors.read(weights) : TorchZipCheckpoint.read(weights);
        Map<String, Tensor> tensors = checkAgainstConfig(stripDataParallelPrefix(raw), config, weights.getFileName().toString());
        String fingerprint = fingerprint(configBytes, preprocessingBytes, weights);
        return new Checkpoint(config, preprocessing, tensors, fingerprint);
    }

    public ModelConfig config() {
        return config;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The tensor under its state-dict key (without any {@code module.} prefix). */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no tensor " + name + " in this checkpoint");
        }
        return t;
    }

    /** The state-dict keys, in file order. */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Hex SHA-256 over the bytes of config.json, preprocessing.json (if present) and the weight file, in that order. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Every state-dict key the config implies, with its shape (the table of docs/model.md), in model order. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        long d = c.dModel();
        long di = c.dInner();
        long h = c.nHeads();
        long p = c.patchSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("patch_embed.proj.weight", new long[] {d, 3, p, p});
        shapes.put("patch_embed.proj.bias", new long[] {d});
        shapes.put("cls_token", new long[] {1, 1, d});
        shapes.put("pos_embed", new long[] {1, c.nTokens(), d});
        for (int i = 0; i < c.nLayer(); i++) {
            String l = "layers." + i + ".";
            shapes.put(l + "norm.weight", new long[] {d});
            shapes.put(l + "norm.bias", new long[] {d});
            shapes.put(l + "mixer.in_proj.weight", new long[] {c.inProjRows(), d});
            shapes.put(l + "mixer.conv1d.weight", new long[] {c.convChannels(), 1, c.dConv()});
            shapes.put(l + "mixer.conv1d.bias", new long[] {c.convChannels()});
            shapes.put(l + "mixer.dt_bias", new long[] {h});
            shapes.put(l + "mixer.A_log", new long[] {h});
            shapes.put(l + "mixer.D", new long[] {h});
            shapes.put(l + "mixer.norm.weight", new long[] {di});
            shapes.put(l + "mixer.out_proj.weight", new long[] {d, di});
        }
        shapes.put("norm_f.weight", new long[] {d});
        shapes.put("norm_f.bias", new long[] {d});
        shapes.put("head.weight", new long[] {c.nClasses(), d});
        shapes.put("head.bias", new long[] {c.nClasses()});
        return shapes;
    }

    /**
     * Refuses a config implying more parameters than the weight file could hold at 2 bytes a value (F16, BF16), before
     * anything is read: the file, not the config, bounds what reading allocates.
     */
    private static void requireRoomForParameters(ModelConfig config, Path weights) throws CheckpointException {
        long parameters = 0;
        for (long[] shape : expectedShapes(config).values()) {
            parameters += Tensor.numel(shape);
        }
        long fileBytes;
        try {
            RegularFiles.requireRegular(weights);
            fileBytes = Files.size(weights);
        } catch (IOException e) {
            throw new CheckpointException(weights.getFileName() + ": cannot read: " + e.getMessage(), e);
        }
        if (2 * parameters > fileBytes) {
            throw new CheckpointException(CONFIG_FILE + " implies " + parameters + " parameters (at least " + 2 * parameters
                    + " bytes), but " + weights.getFileName() + " holds only " + fileBytes + " bytes");
        }
    }

    private static Map<String, Tensor> stripDataParallelPrefix(Map<String, Tensor> raw) {
        if (raw.isEmpty() || !raw.keySet().stream().allMatch(k -> k.startsWith(DATA_PARALLEL_PREFIX))) {
            return raw;
        }
        Map<String, Tensor> stripped = new LinkedHashMap<>();
        raw.forEach((k, v) -> stripped.put(k.substring(DATA_PARALLEL_PREFIX.length()), v));
        return stripped;
    }

    private static Map<String, Tensor> checkAgainstConfig(Map<String, Tensor> tensors, ModelConfig config, String source)
            throws CheckpointException {
        Map<String, long[]> expected = expectedShapes(config);
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) {
                throw new CheckpointException(source + ": unexpected tensor " + name + " (not part of the model config.json describes)");
            }
        }
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new CheckpointException(source + ": missing tensor " + e.getKey());
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new CheckpointException(source + ": tensor " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                        + ", config.json implies " + Arrays.toString(e.getValue()));
            }
            for (float v : t.data()) {
                if (!Float.isFinite(v)) {
                    throw new CheckpointException(source + ": tensor " + e.getKey() + " holds a non-finite value (" + v + ")");
                }
            }
            ordered.put(e.getKey(), t);
        }
        return ordered;
    }

    /** A configuration file of at most 1 MiB, which must be a regular file; null when an optional one is absent. */
    private static byte[] readSmallFile(Path file, boolean required) throws CheckpointException {
        try {
            return RegularFiles.read(file, MAX_CONFIG_BYTES);
        } catch (NoSuchFileException e) {
            if (required) {
                throw new CheckpointException(file.getFileName() + ": missing from " + file.getParent(), e);
            }
            return null;
        } catch (IOException e) {
            throw new CheckpointException(file.getFileName() + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String fingerprint(byte[] config, byte[] preprocessing, Path weights) throws CheckpointException {
        MessageDigest sha = DigestUtils.getSha256Digest();
        sha.update(config);
        if (preprocessing != null) {
            sha.update(preprocessing);
        }
        try {
            DigestUtils.updateDigest(sha, weights);
        } catch (IOException e) {
            throw new CheckpointException(weights.getFileName() + ": cannot read: " + e, e);
        }
        return Hex.encodeHexString(sha.digest());
    }
}
