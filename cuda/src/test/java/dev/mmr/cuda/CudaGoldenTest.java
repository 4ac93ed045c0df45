package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.SafeTensors;
import dev.mmr.encoder.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cuda backend against the golden vectors (the authors' modules in float64, models/golden-tiny): every uniform
 * level and both Mix'n'Match cases, in fp32 (1e-4 relative L2), tf32 and bf16 (1e-2), with the scan in each form.
 * Needs a GPU; skipped elsewhere, saying why.
 */
class CudaGoldenTest {
    private static final int LAYERS = 4;
    private static final int D = 128;

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.mmr.cuda.GpuTests#goldenCases")
    void reproducesGoldenFeaturesAndLogits(Precision precision, String name, int[] widths) throws Exception {
        GpuTests.assumeGpu("CudaGoldenTest " + precision + " " + name);
        try (EncoderBackend backend = GpuTests.open("golden-tiny", precision)) {
            assertGolden(backend, precision, name, widths);
        }
    }

    @ParameterizedTest(name = "{0} {1} {3}")
    @MethodSource("dev.mmr.cuda.GpuTests#chunkGoldenCases")
    void chunkScanReproducesGoldenFeaturesAndLogits(Precision precision, String name, int[] widths, ScanForm scan)
            throws Exception {
        GpuTests.assumeGpu("CudaGoldenTest " + scan.label() + " " + precision + " " + name);
        try (EncoderBackend backend = GpuTests.open("golden-tiny", precision, scan)) {
            assertGolden(backend, precision, name, widths);
        }
    }

    private static void assertGolden(EncoderBackend backend, Precision precision, String name, int[] widths)
            throws Exception {
        Map<String, Tensor> golden = SafeTensors.read(GpuTests.testResource("golden/golden_a.io.safetensors"));
        Tensor input = golden.get("input");
        NetworkOutput out = backend.forward(input.data(), (int) input.shape()[0], widths);
        double featureError = GpuTests.relativeL2(out.features(), golden.get("features." + name).data());
        double logitError = GpuTests.relativeL2(out.logits(), golden.get("logits." + name).data());
        System.out.printf("golden %s %s: relative L2 features %.3g, logits %.3g (%s)%n", precision, name, featureError,
                logitError, backend.description());
        double tolerance = GpuTests.tolerance(precision);
        assertTrue(featureError < tolerance, name + " features: relative L2 " + featureError);
        assertTrue(logitError < tolerance, name + " logits: relative L2 " + logitError);
    }

    @ParameterizedTest(name = "{0} scan")
    @EnumSource(ScanForm.class)
    void eachImageIsEncodedIndependentlyOfItsBatchAndOfConcurrentCalls(ScanForm scan) throws Exception {
        GpuTests.assumeGpu("CudaGoldenTest batch independence, " + scan.label() + " scan");
        Tensor input = SafeTensors.read(GpuTests.testResource("golden/golden_a.io.safetensors")).get("input");
        int perImage = input.data().length / 4;
        try (EncoderBackend backend = GpuTests.open("golden-tiny", Precision.FP32, scan)) {
            List<int[]> widths = List.of(GpuTests.uniform(LAYERS, D), GpuTests.uniform(LAYERS, D / 8), new int[] {16, 32, 64, 128});
            List<float[]> expected = new ArrayList<>();
            for (int[] w : widths) {
                expected.add(backend.forward(input.data(), 4, w).features());
            }
            float[] third = new float[perImage];
            System.arraycopy(input.data(), 2 * perImage, third, 0, perImage);
            float[] alone = backend.forward(third, 1, widths.get(0)).features();
            float[] inBatch = new float[D];
            System.arraycopy(expected.get(0), 2 * D, inBatch, 0, D);
            assertTrue(GpuTests.relativeL2(alone, inBatch) < 1e-5, "image 2 alone differs from image 2 in its batch");

            ExecutorService pool = Executors.newFixedThreadPool(2 * backend.concurrency());
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int round = 0; round < 4; round++) {
                    for (int[] w : widths) {
                        results.add(pool.submit(() -> backend.forward(input.data(), 4, w).features()));
                    }
                }
                for (int i = 0; i < results.size(); i++) {
                    assertArrayEquals(expected.get(i % widths.size()), results.get(i).get(), 1e-6f, "call " + i);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
