package dev.mmr.encoder;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The architecture described by a checkpoint's {@code config.json}, with the original code's defaults.
 * Only the variant this project computes is accepted: {@code d_intermediate} 0, {@code rms_norm} false,
 * {@code pool} "cls", {@code ngroups} 1 and no attention layers; anything else is refused naming the field.
 * Training-only fields (drop rates, initialiser settings, fused-kernel switches) are ignored.
 *
 * @param dModel      residual width D
 * @param nLayer      number of Mamba2 blocks
 * @param nClasses    classifier outputs
 * @param patchSize   side p of the square patches
 * @param imageSize   side S of the square input image
 * @param dState      SSM state size N ({@code ssm_cfg.d_state})
 * @param dConv       depthwise convolution kernel ({@code ssm_cfg.d_conv})
 * @param expand      inner width factor ({@code ssm_cfg.expand})
 * @param normEpsilon LayerNorm epsilon
 */
public record ModelConfig(int dModel, int nLayer, int nClasses, int patchSize, int imageSize,
                          int dState, int dConv, int expand, double normEpsilon) {

    /** Heads are {@code D/32} channels wide, so there are always {@code 32·expand} heads at full width. */
    public static final int HEADDIM_DIVISOR = 32;

    public ModelConfig {
        requirePositive("d_model", dModel);
        requirePositive("n_layer", nLayer);
        requirePositive("n_classes", nClasses);
        requirePositive("patch_size", patchSize);
        requirePositive("image_size", imageSize);
        requirePositive("ssm_cfg.d_state", dState);
        requirePositive("ssm_cfg.d_conv", dConv);
        requirePositive("ssm_cfg.expand", expand);
        if (dModel % HEADDIM_DIVISOR != 0) {
            throw new IllegalArgumentException("d_model must be a multiple of " + HEADDIM_DIVISOR
                    + " (headdim = d_model/" + HEADDIM_DIVISOR + "), got " + dModel);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image_size (" + imageSize + ") must be a multiple of patch_size (" + patchSize + ")");
        }
        if (!(normEpsilon > 0) || Double.isInfinite(normEpsilon)) {
            throw new IllegalArgumentException("norm_epsilon must be a positive number, got " + normEpsilon);
        }
    }

    /** Channels per SSM head: {@code D/32}. */
    public int headdim() {
        return dModel / HEADDIM_DIVISOR;
    }

    /** Inner (SSM) width at full width: {@code expand·D}. */
    public int dInner() {
        return expand * dModel;
    }

    /** SSM heads at full width. */
    public int nHeads() {
        return dInner() / headdim();
    }

    /** SSM channels of a mixer of width {@code w}: {@code expand·w}. */
    public int dInner(int width) {
        return expand * width;
    }

    /** SSM heads of a mixer of width {@code w}. */
    public int nHeads(int width) {
        return dInner(width) / headdim();
    }

    /** Rows of in_proj at full width: z and x ({@code dInner} each), B and C ({@code d_state} each), dt (one per head). */
    public int inProjRows() {
        return inProjRows(dModel);
    }

    /** Rows of in_proj a mixer of width {@code w} uses: its slices of z, x and dt, and all of B and C. */
    public int inProjRows(int width) {
        return 2 * dInner(width) + 2 * dState + nHeads(width);
    }

    /** Channels of the causal convolution: x ({@code dInner}), then B and C ({@code d_state} each). */
    public int convChannels() {
        return dInner() + 2 * dState;
    }

    /** Image patches, {@code (S/p)²}. */
    public int nPatches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    /** Sequence length: the patches plus the [CLS] token appended last. */
    public int nTokens() {
        return nPatches() + 1;
    }

    /** Parses {@code config.json}; {@code source} names the file in error messages. */
    public static ModelConfig parse(byte[] json, String source) throws CheckpointException {
        JsonNode root = JsonObjects.parse(json, source);
        JsonNode ssm = root.path("ssm_cfg");
        if (!ssm.isMissingNode() && !ssm.isNull() && !ssm.isObject()) {
            throw new CheckpointException(source + ": field ssm_cfg must be an object");
        }
        if (root.path("rms_norm").asBoolean(false)) {
            throw new CheckpointException(source + ": unsupported rms_norm = true (only LayerNorm blocks, rms_norm false, are supported)");
        }
        int dIntermediate = intField(root, "d_intermediate", 0, source);
        if (dIntermediate != 0) {
            throw new CheckpointException(source + ": unsupported d_intermediate = " + dIntermediate + " (only 0, no MLP blocks, is supported)");
        }
        String pool = textField(root, "pool", "cls", source);
        if (!pool.equals("cls")) {
            throw new CheckpointException(source + ": unsupported pool = \"" + pool + "\" (only \"cls\" is supported)");
        }
        int ngroups = intField(ssm, "ngroups", 1, source + " ssm_cfg");
        if (ngroups != 1) {
            throw new CheckpointException(source + ": unsupported ssm_cfg.ngroups = " + ngroups + " (only 1 is supported)");
        }
        JsonNode attn = root.path("attn_layer_idx");
        if (attn.isArray() && !attn.isEmpty()) {
            throw new CheckpointException(source + ": unsupported attn_layer_idx = " + attn + " (attention layers are not supported)");
        }
        try {
            return new ModelConfig(
                    requiredInt(root, "d_model", source),
                    requiredInt(root, "n_layer", source),
                    intField(root, "n_classes", 1000, source),
                    intField(root, "patch_size", 16, source),
                    intField(root, "image_size", 224, source),
                    intField(ssm, "d_state", 128, source + " ssm_cfg"),
                    intField(ssm, "d_conv", 4, source + " ssm_cfg"),
                    intField(ssm, "expand", 2, source + " ssm_cfg"),
                    doubleField(root, "norm_epsilon", 1e-5, source));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage(), e);
        }
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
    }

    private static int requiredInt(JsonNode object, String name, String source) throws CheckpointException {
        if (object.path(name).isMissingNode() || object.path(name).isNull()) {
            throw new CheckpointException(source + ": missing required field " + name);
        }
        return intField(object, name, 0, source);
    }

    private static int intField(JsonNode object, String name, int fallback, String source) throws CheckpointException {
        JsonNode node = object.path(name);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw new CheckpointException(source + ": field " + name + " must be an integer, got " + node);
        }
        return node.intValue();
    }

    private static double doubleField(JsonNode object, String name, double fallback, String source) throws CheckpointException {
        JsonNode node = object.path(name);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw new CheckpointException(source + ": field " + name + " must be a number, got " + node);
        }
        return node.doubleValue();
    }

    private static String textField(JsonNode object, String name, String fallback, String source) throws CheckpointException {
        JsonNode node = object.path(name);
        if (node.isMissingNode() || node.isNull()) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw new CheckpointException(source + ": field " + name + " must be a string, got " + node);
        }
        return node.textValue();
    }
}
