package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bf16 tensor scan on the GPU against the bf16 recurrence on the GPU, with every head's A_log moved by
 * {@code shift} (EmulatedPassTest's case, on the card): by -3 every head's diagonal span goes through its packed B
 * operand, by +3 about a third of the heads decay by more than e^-60 over a span and take the per-element form. The
 * golden and CIFAR-10 weights, whose heads all decay slowly, reach only the first. That the shifted weights reach the
 * forms meant is checked first, on any machine; the comparison needs a GPU and is skipped elsewhere, saying why.
 */
class TensorScanDecayTest {
    @ParameterizedTest(name = "A_log shifted by {0}")
    @ValueSource(floats = {-3f, 3f})
    void tensorScanAgreesWithTheRecurrenceWhereHeadsDecaySlowlyOrFast(float shift) throws Exception {
        ModelConfig config = new ModelConfig(512, 2, 1000, 16, 144, 128, 4, 2, 1e-5);
        WeightSource weights = GpuTests.randomWeightsWithALogShifted(config, shift);
        GpuTests.assertDiagonalFormsReached(config, weights, shift);
        GpuTests.assumeGpu("TensorScanDecayTest A_log shifted by " + shift);
        int batch = 2;
        float[] pixels = GpuTests.randomPixels(config, batch);
        int[] widths = {512, 256};
        NetworkOutput expected;
        try (EncoderBackend recurrence = new CudaBackend(config, weights, Precision.BF16, ScanForm.RECURRENT)) {
            expected = recurrence.forward(pixels, batch, widths);
        }
        NetworkOutput actual;
        try (EncoderBackend tensor = new CudaBackend(config, weights, Precision.BF16, ScanForm.TENSOR)) {
            actual = tensor.forward(pixels, batch, widths);
        }
        double featureError = GpuTests.relativeL2(actual.features(), expected.features());
        double logitError = GpuTests.relativeL2(actual.logits(), expected.logits());
        System.out.printf("TensorScanDecayTest A_log shifted by %s: relative L2 features %.3g, logits %.3g%n", shift,
                featureError, logitError);
        assertTrue(featureError < 1e-2, "features: relative L2 " + featureError);
        assertTrue(logitError < 1e-2, "logits: relative L2 " + logitError);
    }
}
