package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped CIFAR-10 checkpoints (F16 safetensors) against the trainer's own PyTorch outputs of the same exported
 * weights: eight CIFAR-10 test images, features and logits at levels 1, 2, 4 and 8, in float32
 * ({@code reference/<model>.safetensors}, written by training/train.py at export).
 */
class ShippedModelsParityTest {
    private static final double TOLERANCE = 1e-4;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cifar10", "cifar10-baseline-l1", "cifar10-baseline-l2", "cifar10-baseline-l4",
            "cifar10-baseline-l8"})
    void matchesThePyTorchModelAtEveryLevel(String name) throws Exception {
        Map<String, Tensor> reference = SafeTensors.read(TestPaths.resource("reference/" + name + ".safetensors"));
        Tensor input = reference.get("input");
        int images = (int) input.shape()[0];
        try (MatMambaModel model = MatMambaModel.load(TestPaths.projectRoot().resolve("models/" + name))) {
            for (int level : new int[] {1, 2, 4, 8}) {
                Encoding e = model.encode(input.data(), images, model.level(level));
                float[] features = reference.get("features.level" + level).data();
                float[] logits = reference.get("logits.level" + level).data();
                assertEquals(features.length, e.features().length);
                double featureError = MatMambaModelTest.relativeL2(e.features(), features);
                double logitError = MatMambaModelTest.relativeL2(e.logits(), logits);
                assertTrue(featureError < TOLERANCE, name + " level " + level + " features: relative L2 " + featureError);
                assertTrue(logitError < TOLERANCE, name + " level " + level + " logits: relative L2 " + logitError);
            }
        }
    }
}
