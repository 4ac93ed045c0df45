package dev.mmr.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;

/**
 * How a model wants its images prepared, part of the model's description so that everything encoding
 * for one index agrees: a centred square crop of side {@code cropRatio · min(height, width)}, then
 * per-channel (RGB) normalisation {@code (v - mean) / std} of values scaled to [0, 1].
 * Read from an optional {@code preprocessing.json}: {@code {"crop_ratio": r, "mean": [3], "std": [3]}};
 * absent fields take the original evaluation's values ({@link #IMAGENET}).
 */
public record Preprocessing(double cropRatio, float[] mean, float[] std) {

    /** The authors' ImageNet evaluation: crop 224/256, ImageNet channel mean and standard deviation. */
    public static final Preprocessing IMAGENET = new Preprocessing(224.0 / 256.0,
            new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    private static final Set<String> FIELDS = Set.of("crop_ratio", "mean", "std");

    public Preprocessing {
        if (!(cropRatio > 0 && cropRatio <= 1)) {
            throw new IllegalArgumentException("crop_ratio must be in (0, 1], got " + cropRatio);
        }
        mean = checkChannels("mean", mean);
        std = checkChannels("std", std);
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std values must be positive, got " + Arrays.toString(std));
            }
        }
    }

    @Override public float[] mean() {
        return mean.clone();
    }

    @Override public float[] std() {
        return std.clone();
    }

    @Override public boolean equals(Object o) {
        return o instanceof Preprocessing p && p.cropRatio == cropRatio
                && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std);
    }

    @Override public int hashCode() {
        return Double.hashCode(cropRatio) * 31 * 31 + Arrays.hashCode(mean) * 31 + Arrays.hashCode(std);
    }

    @Override public String toString() {
        return "Preprocessing[cropRatio=" + cropRatio + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }

    /** Parses {@code preprocessing.json}; {@code source} names the file in error messages. Unknown fields are refused. */
    public static Preprocessing parse(byte[] json, String source) throws CheckpointException {
        JsonNode root = JsonObjects.parse(json, source);
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new CheckpointException(source + ": unknown field " + name + " (expected crop_ratio, mean, std)");
            }
        }
        JsonNode ratio = root.path("crop_ratio");
        if (!ratio.isMissingNode() && !ratio.isNumber()) {
            throw new CheckpointException(source + ": field crop_ratio must be a number, got " + ratio);
        }
        try {
            return new Preprocessing(
                    ratio.isMissingNode() ? IMAGENET.cropRatio : ratio.doubleValue(),
                    floats(root, "mean", IMAGENET.mean, source),
                    floats(root, "std", IMAGENET.std, source));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage(), e);
        }
    }

    private static float[] floats(JsonNode root, String name, float[] fallback, String source) throws CheckpointException {
        JsonNode node = root.path(name);
        if (node.isMissingNode()) {
            return fallback;
        }
        if (!node.isArray()) {
            throw new CheckpointException(source + ": field " + name + " must be an array of 3 numbers, got " + node);
        }
        float[] values = new float[node.size()];
        for (int i = 0; i < values.length; i++) {
            if (!node.get(i).isNumber()) {
                throw new CheckpointException(source + ": field " + name + " must be an array of 3 numbers, got " + node);
            }
            values[i] = node.get(i).floatValue();
        }
        return values;
    }

    private static float[] checkChannels(String name, float[] values) {
        if (values == null || values.length != 3) {
            throw new IllegalArgumentException(name + " must hold 3 values (R, G, B), got "
                    + (values == null ? "none" : Arrays.toString(values)));
        }
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name + " values must be finite, got " + Arrays.toString(values));
            }
        }
        return values.clone();
    }
}
