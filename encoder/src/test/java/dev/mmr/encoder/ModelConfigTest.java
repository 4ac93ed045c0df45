package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ModelConfigTest {

    @Test
    void appliesTheAuthorsDefaultsAndSsmOverrides() throws Exception {
        ModelConfig c = parse("{\"d_model\": 512, \"n_layer\": 20, \"ssm_cfg\": {}, \"drop_path_rate\": 0.1, \"fused_add_norm\": true}");
        assertEquals(new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5), c);
        assertEquals(16, c.headdim());
        assertEquals(64, c.nHeads());
        assertEquals(197, c.nTokens());
        ModelConfig o = parse("{\"d_model\": 64, \"n_layer\": 2, \"ssm_cfg\": {\"d_state\": 16, \"d_conv\": 3, \"expand\": 2,"
                + " \"use_mem_eff_path\": false, \"chunk_size\": 64}, \"norm_epsilon\": 1e-6, \"image_size\": 32, \"patch_size\": 4}");
        assertEquals(new ModelConfig(64, 2, 1000, 4, 32, 16, 3, 2, 1e-6), o);
    }

    @Test
    void refusesUnsupportedOptionsNamingTheField() {
        refused("{\"d_model\": 128, \"n_layer\": 2, \"rms_norm\": true}", "rms_norm");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"d_intermediate\": 512}", "d_intermediate = 512");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"pool\": \"avg\"}", "pool = \"avg\"");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"ssm_cfg\": {\"ngroups\": 2}}", "ssm_cfg.ngroups = 2");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"attn_layer_idx\": [1]}", "attn_layer_idx");
    }

    @Test
    void refusesMalformedConfigs() {
        refused("{\"n_layer\": 2}", "missing required field d_model");
        refused("{\"d_model\": \"128\", \"n_layer\": 2}", "d_model must be an integer");
        refused("{\"d_model\": 100, \"n_layer\": 2}", "d_model must be a multiple of 32");
        refused("{\"d_model\": 128, \"n_layer\": 0}", "n_layer must be positive");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"image_size\": 30, \"patch_size\": 4}", "image_size (30) must be a multiple of patch_size (4)");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"ssm_cfg\": [1]}", "ssm_cfg must be an object");
        refused("[1, 2]", "expected a JSON object");
        refused("{\"d_model\": 128,", "not valid JSON");
    }

    @Test
    void refusesSizesBeyondTheCeilingsOrWhoseProductsWouldOverflow() {
        refused("{\"d_model\": 128, \"n_layer\": 1000000000}", "n_layer must be at most 1024, got 1000000000");
        // 16777218 x 128 wraps to a negative int.
        refused("{\"d_model\": 128, \"n_layer\": 2, \"ssm_cfg\": {\"expand\": 16777218}}", "ssm_cfg.expand must be at most 16, got 16777218");
        // (1073741840 / 2)^2 patches wraps to a small positive int.
        refused("{\"d_model\": 128, \"n_layer\": 2, \"image_size\": 1073741840, \"patch_size\": 2}", "image_size must be at most 4096");
        refused("{\"d_model\": 16384, \"n_layer\": 2, \"ssm_cfg\": {\"expand\": 16}}",
                "layers.*.mixer.in_proj.weight would hold 8602517504 values, more than one array holds");
        refused("{\"d_model\": 4096, \"n_layer\": 2, \"image_size\": 4096, \"patch_size\": 4}",
                "pos_embed would hold 4294971392 values");
        refused("{\"d_model\": 4096, \"n_layer\": 2, \"n_classes\": 1000000}", "head.weight would hold 4096000000 values");
        refused("{\"d_model\": 32, \"n_layer\": 2, \"image_size\": 4096, \"patch_size\": 2, \"ssm_cfg\": {\"expand\": 16}}",
                "the in_proj activation of one image");
        refused("{\"d_model\": 128, \"n_layer\": 2, \"patch_size\": 8192}", "patch_size must be at most 4096");
    }

    @Test
    void preprocessingFileOverridesDefaultsAndIsValidated() throws Exception {
        Preprocessing p = Preprocessing.parse(bytes("{\"crop_ratio\": 1.0, \"mean\": [0.5, 0.5, 0.5]}"), "preprocessing.json");
        assertEquals(1.0, p.cropRatio());
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, p.mean());
        assertArrayEquals(Preprocessing.IMAGENET.std(), p.std());
        assertEquals(Preprocessing.IMAGENET, Preprocessing.parse(bytes("{}"), "preprocessing.json"));
        assertEquals(0.875, Preprocessing.IMAGENET.cropRatio());

        refusedPreprocessing("{\"crop\": 0.9}", "unknown field crop");
        refusedPreprocessing("{\"crop_ratio\": 1.5}", "crop_ratio must be in (0, 1]");
        refusedPreprocessing("{\"mean\": [0.5, 0.5]}", "mean must hold 3 values");
        refusedPreprocessing("{\"std\": [0.2, 0, 0.2]}", "std values must be positive");
        refusedPreprocessing("{\"std\": \"0.2\"}", "field std must be an array of 3 numbers");
    }

    private static ModelConfig parse(String json) throws CheckpointException {
        return ModelConfig.parse(bytes(json), "config.json");
    }

    private static void refused(String json, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> parse(json));
        assertTrue(e.getMessage().startsWith("config.json: ") && e.getMessage().contains(expected), e.getMessage());
    }

    private static void refusedPreprocessing(String json, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Preprocessing.parse(bytes(json), "preprocessing.json"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
