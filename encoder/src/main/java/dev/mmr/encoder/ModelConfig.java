package dev.mmr.encoder;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The architecture described by a checkpoint's {@code config.json}, with the original code's defaults.
 * Only the variant this project computes is accepted: {@code d_intermediate} 0, {@code rms_norm} false,
 * {@code pool} "cls", {@code ngroups} 1 and no attention layers; anything else is refused naming the field.
 * Training-only fields (drop rates, initialiser settings, fused-kernel switches) are ignored. Every field has a
 * ceiling and every derived size (each weight tensor, the largest activation of one image) is checked in 64-bit
 * arithmetic to fit one Java array, so a hostile config is refused before anything is allocated.
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

    /** Ceilings on the fields, far above any released MatMamba-Vision model (D 1024, 48 layers, 224 px, N 128). */
    public static final int MAX_D_MODEL = 16_384;
    public static final int MAX_LAYERS = 1_024;
    public static final int MAX_CLASSES = 1_000_000;
    public static final int MAX_IMAGE_SIZE = 4_096;
    public static final int MAX_D_STATE = 1_024;
    public static final int MAX_D_CONV = 64;
    public static final int MAX_EXPAND = 16;
    /** Values one Java array holds: every weight tensor, and every activation of one image, must fit in one. */
    public static final long MAX_ARRAY_VALUES = Integer.MAX_VALUE - 8;

    public ModelConfig {
        requireRange("d_model", dModel, MAX_D_MODEL);
        requireRange("n_layer", nLayer, MAX_LAYERS);
        requireRange("n_classes", nClasses, MAX_CLASSES);
        requireRange("patch_size", patchSize, MAX_IMAGE_SIZE);
        requireRange("image_size", imageSize, MAX_IMAGE_SIZE);
        requireRange("ssm_cfg.d_state", dState, MAX_D_STATE);
        requireRange("ssm_cfg.d_conv", dConv, MAX_D_CONV);
        requireRange("ssm_cfg.expand", expand, MAX_EXPAND);
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
        // The derived sizes, in 64 bits: within the ceilings above none of these products can overflow a long.
        long inner = (long) expand * dModel;
        long projected = 2 * inner + 2L * dState + (long) expand * HEADDIM_DIVISOR;
        long side = imageSize / patchSize;
        long tokens = side * side + 1;
        requireArray("layers.*.mixer.in_proj.weight", projected * dModel);
        requireArray("pos_embed", tokens * dModel);
        requireArray("head.weight", (long) nClasses * dModel);
        requireArray("the in_proj activation of one image (tokens x projected width)", tokens * projected);
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

    private static void requireRange(String field, int value, int max) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + value);
        }
        if (value > max) {
            throw new IllegalArgumentException(field + " must be at most " + max + ", got " + value);
        }
    }

    private static void requireArray(String what, long values) {
        if (values > MAX_ARRAY_VALUES) {
            throw new IllegalArgumentException(what + " would hold " + values + " values, more than one array holds ("
                    + MAX_ARRAY_VALUES + ")");
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
