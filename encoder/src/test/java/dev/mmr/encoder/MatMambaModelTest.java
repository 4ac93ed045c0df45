package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The forward pass against the golden vectors (computed in float64 by the authors' modules), and the width rules. */
class MatMambaModelTest {
    private static final double TOLERANCE = 1e-4;
    private static MatMambaModel model;
    private static Map<String, Tensor> golden;

    @BeforeAll
    static void load() throws Exception {
        model = MatMambaModel.load(TestPaths.goldenTiny());
        golden = SafeTensors.read(TestPaths.resource("golden/golden_a.io.safetensors"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Stream<Arguments> goldenCases() {
        return Stream.of(
                Arguments.of("level1", (Object) null), Arguments.of("level2", null), Arguments.of("level4", null),
                Arguments.of("level8", null),
                Arguments.of("mix0", new int[] {128, 64, 32, 16}), Arguments.of("mix1", new int[] {16, 32, 64, 128}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("goldenCases")
    void reproducesGoldenFeaturesAndLogits(String name, int[] mix) {
        Widths widths = mix == null ? model.level(Integer.parseInt(name.substring("level".length()))) : model.widths(mix);
        Tensor input = golden.get("input");
        Encoding e = model.encode(input.data(), (int) input.shape()[0], widths);
        double featureError = relativeL2(e.features(), golden.get("features." + name).data());
        double logitError = relativeL2(e.logits(), golden.get("logits." + name).data());
        assertTrue(featureError < TOLERANCE, name + " features: relative L2 error " + featureError);
        assertTrue(logitError < TOLERANCE, name + " logits: relative L2 error " + logitError);
    }

    @Test
    void embeddingsAreUnitFeatureDirections() {
        Tensor input = golden.get("input");
        Encoding e = model.encode(input.data(), 4, model.level(2));
        for (int i = 0; i < 4; i++) {
            float[] f = e.feature(i);
            float[] u = e.embedding(i);
            double norm = Math.sqrt(dot(f, f));
            assertEquals(1.0, Math.sqrt(dot(u, u)), 1e-5);
            assertEquals(norm, dot(f, u), 1e-3 * norm);
        }
    }

    @Test
    void eachImageIsEncodedIndependentlyOfItsBatch() {
        Tensor input = golden.get("input");
        int perImage = input.data().length / 4;
        Encoding batch = model.encode(input.data(), 4, model.level(4));
        float[] third = new float[perImage];
        System.arraycopy(input.data(), 2 * perImage, third, 0, perImage);
        Encoding single = model.encode(third, 1, model.level(4));
        assertArrayEquals(batch.feature(2), single.feature(0), 1e-5f);
        assertNotEquals(batch.feature(1)[0], batch.feature(2)[0]);
    }

    @Test
    void oneModelServesManyThreadsAtOnce() throws Exception {
        Tensor input = golden.get("input");
        List<Widths> cases = List.of(model.full(), model.level(8), model.widths(16, 32, 64, 128), model.level(2));
        List<float[]> expected = new ArrayList<>();
        for (Widths w : cases) {
            expected.add(model.encode(input.data(), 4, w).features());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> results = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (Widths w : cases) {
                    results.add(pool.submit(() -> model.encode(input.data(), 4, w).features()));
                }
            }
            for (int i = 0; i < results.size(); i++) {
                // BLAS may split work differently under contention: equal to rounding, never mixed up between calls.
                assertArrayEquals(expected.get(i % cases.size()), results.get(i).get(), 1e-5f, cases.get(i % cases.size()).name());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void invalidWidthsNameTheRule() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.widths(128, 64, 32))
                .getMessage().contains("one width per layer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.widths(128, 64, 32, 0))
                .getMessage().contains("0 < w <= d_model"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.widths(256, 64, 32, 16))
                .getMessage().contains("0 < w <= d_model"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.widths(128, 64, 33, 16))
                .getMessage().contains("divisible by headdim 4"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.level(3))
                .getMessage().contains("divisor of d_model"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> model.level(128))
                .getMessage().contains("divisible by headdim"));
        Widths forged = new Widths(new int[] {128, 128, 128, 7}, "forged");
        assertThrows(IllegalArgumentException.class, () -> model.encode(golden.get("input").data(), 4, forged));
    }

    @Test
    void encodesPhotosThroughItsOwnPreprocessor() throws Exception {
        Path dir = TestPaths.projectRoot().resolve("data/imagenet-sample");
        List<Path> photos;
        try (Stream<Path> files = Files.list(dir)) {
            photos = files.sorted().limit(2).toList();
        }
        float[] a = model.preprocessor().preprocess(photos.get(0));
        float[] b = model.preprocessor().preprocess(photos.get(1));
        float[] both = new float[a.length + b.length];
        System.arraycopy(a, 0, both, 0, a.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        Encoding e = model.encode(both, 2, model.level(8));
        for (float v : e.features()) {
            assertTrue(Float.isFinite(v));
        }
        assertTrue(relativeL2(e.embedding(0), e.embedding(1)) > 1e-3, "different photos, different embeddings");
    }

    @Test
    void refusesPixelsOfTheWrongShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.encode(new float[3 * 32 * 32 + 1], 1, model.full()));
        assertTrue(e.getMessage().contains("3 x 32 x 32"), e.getMessage());
    }

    @Test
    void trainedLevelsAreTheFourUniformLevels() {
        assertEquals(List.of("level1", "level2", "level4", "level8"), model.trainedLevels().stream().map(Widths::name).toList());
        assertEquals("mix:128-64-32-16", model.widths(128, 64, 32, 16).name());
    }

    @Test
    void costCountsEveryCheckpointParameterAtFullWidth() throws Exception {
        Checkpoint checkpoint = Checkpoint.read(TestPaths.goldenTiny());
        long stored = 0;
        for (String name : checkpoint.names()) {
            stored += checkpoint.tensor(name).data().length;
        }
        assertEquals(stored, model.cost(model.full()).params());
        assertTrue(model.cost(model.level(8)).params() < model.cost(model.level(2)).params());
    }

    @Test
    void costMatchesThePublishedMatmulWorkOfTheReleasedShapes() {
        ModelConfig small = new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5);
        ModelConfig base = new ModelConfig(1024, 20, 1000, 16, 224, 128, 4, 2, 1e-5);
        double[] smallGflop = {13.8, 7.5, 4.4, 2.8};
        double[] baseGflop = {52.5, 27.4, 14.9, 8.6};
        int[] levels = {1, 2, 4, 8};
        for (int i = 0; i < levels.length; i++) {
            assertEquals(smallGflop[i], Cost.of(small, uniform(small, levels[i])).gflop(), 0.05, "35M level " + levels[i]);
            assertEquals(baseGflop[i], Cost.of(base, uniform(base, levels[i])).gflop(), 0.05, "135M level " + levels[i]);
        }
        long params = Cost.of(small, uniform(small, 1)).params();
        assertTrue(params > 34_000_000 && params < 37_000_000, "35M shape has " + params + " parameters");
    }

    private static Widths uniform(ModelConfig c, int level) {
        int[] w = new int[c.nLayer()];
        java.util.Arrays.fill(w, c.dModel() / level);
        return new Widths(w, "level" + level);
    }

    static double relativeL2(float[] actual, float[] expected) {
        assertEquals(expected.length, actual.length);
        double num = 0;
        double den = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = actual[i] - expected[i];
            num += diff * diff;
            den += (double) expected[i] * expected[i];
        }
        return Math.sqrt(num / den);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
