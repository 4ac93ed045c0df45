package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path tmp;

    @Test
    void readsGoldenTinyWithEveryTensorTheConfigImplies() throws Exception {
        Checkpoint c = Checkpoint.read(TestPaths.goldenTiny());
        ModelConfig config = c.config();
        assertEquals(new ModelConfig(128, 4, 10, 4, 32, 64, 4, 2, 1e-5), config);
        assertEquals(4, config.headdim());
        assertEquals(64, config.nHeads());
        assertEquals(65, config.nTokens());
        assertEquals(Checkpoint.expectedShapes(config).keySet(), c.names());
        assertArrayEquals(new long[] {2 * 256 + 2 * 64 + 64, 128}, c.tensor("layers.0.mixer.in_proj.weight").shape());
        assertEquals(1.0, c.preprocessing().cropRatio());
        assertArrayEquals(new float[] {0.4914f, 0.4822f, 0.4465f}, c.preprocessing().mean());
        assertEquals(64, c.fingerprint().length());
        assertThrows(IllegalArgumentException.class, () -> c.tensor("layers.9.norm.weight"));
    }

    @Test
    void fingerprintCoversConfigPreprocessingAndWeights() throws Exception {
        Path dir = copyOfGoldenTiny();
        String original = Checkpoint.read(dir).fingerprint();
        assertEquals(original, Checkpoint.read(copyOfGoldenTiny()).fingerprint());

        Files.writeString(dir.resolve("preprocessing.json"), "{\"crop_ratio\": 0.875}");
        String changedPreprocessing = Checkpoint.read(dir).fingerprint();
        assertNotEquals(original, changedPreprocessing);
        Files.delete(dir.resolve("preprocessing.json"));
        Checkpoint defaults = Checkpoint.read(dir);
        assertEquals(Preprocessing.IMAGENET, defaults.preprocessing());
        assertNotEquals(changedPreprocessing, defaults.fingerprint());
    }

    @Test
    void refusesMissingWeights() throws Exception {
        Path dir = copyOfGoldenTiny();
        Files.delete(dir.resolve("model.safetensors"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void refusesMissingConfig() throws Exception {
        Path dir = copyOfGoldenTiny();
        Files.delete(dir.resolve("config.json"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
    }

    @Test
    void refusesWeightsThatDoNotMatchTheConfig() throws Exception {
        Path dir = copyOfGoldenTiny();
        // d_state 32 instead of 64: in_proj, conv1d have other shapes than the file holds.
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json")).replace("\"d_state\": 64", "\"d_state\": 32"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.read(dir));
        assertTrue(e.getMessage().contains("layers.0.mixer.in_proj.weight") && e.getMessage().contains("shape"), e.getMessage());

        Path fewerLayers = copyOfGoldenTiny();
        Files.writeString(fewerLayers.resolve("config.json"),
                Files.readString(fewerLayers.resolve("config.json")).replace("\"n_layer\": 4", "\"n_layer\": 3"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.read(fewerLayers));
        assertTrue(e.getMessage().contains("unexpected tensor layers.3."), e.getMessage());

        Path moreLayers = copyOfGoldenTiny();
        Files.writeString(moreLayers.resolve("config.json"),
                Files.readString(moreLayers.resolve("config.json")).replace("\"n_layer\": 4", "\"n_layer\": 5"));
        e = assertThrows(CheckpointException.class, () -> Checkpoint.read(moreLayers));
        assertTrue(e.getMessage().contains("missing tensor layers.4.norm.weight"), e.getMessage());
    }

    @Test
    void expectedShapesFollowTheModelTable() {
        ModelConfig official35m = new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5);
        Map<String, long[]> shapes = Checkpoint.expectedShapes(official35m);
        assertEquals(4 + 20 * 10 + 4, shapes.size());
        assertArrayEquals(new long[] {1, 197, 512}, shapes.get("pos_embed"));
        assertArrayEquals(new long[] {4 * 512 + 2 * 128 + 64, 512}, shapes.get("layers.19.mixer.in_proj.weight"));
        assertArrayEquals(new long[] {2 * 512 + 2 * 128, 1, 4}, shapes.get("layers.0.mixer.conv1d.weight"));
        assertArrayEquals(new long[] {512, 1024}, shapes.get("layers.0.mixer.out_proj.weight"));
        assertArrayEquals(new long[] {512, 3, 16, 16}, shapes.get("patch_embed.proj.weight"));
    }

    private Path copyOfGoldenTiny() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "model");
        try (var files = Files.list(TestPaths.goldenTiny())) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return dir;
    }
}
