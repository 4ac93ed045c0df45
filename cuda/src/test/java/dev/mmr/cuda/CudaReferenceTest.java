package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.SafeTensors;
import dev.mmr.encoder.Tensor;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shipped CIFAR-10 model (models/cifar10) on the cuda backend against the trainer's PyTorch outputs of the same
 * weights (reference/cifar10.safetensors: eight test images, levels 1, 2, 4, 8), as ShippedModelsParityTest checks the
 * CPU, with the scan in each form. Needs a GPU; skipped elsewhere, saying why.
 */
class CudaReferenceTest {
    static Stream<Arguments> cases() {
        return Stream.of(ScanForm.values()).flatMap(scan -> Stream.of(Precision.values()).map(p -> Arguments.of(scan, p)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesThePyTorchModelAtEveryLevel(ScanForm scan, Precision precision) throws Exception {
        GpuTests.assumeGpu("CudaReferenceTest " + scan.label() + " " + precision);
        Map<String, Tensor> reference = SafeTensors.read(GpuTests.testResource("reference/cifar10.safetensors"));
        Tensor input = reference.get("input");
        int images = (int) input.shape()[0];
        double tolerance = GpuTests.tolerance(precision);
        ModelConfig config = GpuTests.config("cifar10");
        try (EncoderBackend backend = GpuTests.open("cifar10", precision, scan)) {
            for (int level : new int[] {1, 2, 4, 8}) {
                int[] widths = GpuTests.uniform(config.nLayer(), config.dModel() / level);
                NetworkOutput out = backend.forward(input.data(), images, widths);
                double featureError = GpuTests.relativeL2(out.features(), reference.get("features.level" + level).data());
                double logitError = GpuTests.relativeL2(out.logits(), reference.get("logits.level" + level).data());
                System.out.printf("cifar10 %s %s level %d: relative L2 features %.3g, logits %.3g%n", scan.label(),
                        precision, level, featureError, logitError);
                assertTrue(featureError < tolerance, "level " + level + " features: relative L2 " + featureError);
                assertTrue(logitError < tolerance, "level " + level + " logits: relative L2 " + logitError);
            }
        }
    }
}
