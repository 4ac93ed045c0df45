package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The typed batch API: images in (bytes or pixels, with ids), embeddings and per-image failures out; submodels as keys. */
class EncodeBatchTest {
    private static MatMambaModel model;
    private static byte[] jpeg;
    private static byte[] png;

    @BeforeAll
    static void load() throws Exception {
        model = MatMambaModel.load(TestPaths.goldenTiny());
        jpeg = Files.readAllBytes(TestPaths.resource("images/rgb.jpg"));
        png = Files.readAllBytes(TestPaths.resource("images/gray.png"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aCorruptImageFailsAloneAndTheOthersEncodeAsTheyWouldAlone() throws Exception {
        byte[] truncated = java.util.Arrays.copyOf(jpeg, jpeg.length / 3);
        float[] pixels = model.preprocessor().preprocess(png);
        EncodeBatch batch = new EncodeBatch(List.of(new EncodeBatch.ImageBytes("a", jpeg),
                new EncodeBatch.ImageBytes("broken", truncated), new EncodeBatch.ImagePixels("c", pixels),
                new EncodeBatch.ImagePixels("short", new float[7])));
        Submodel level2 = model.submodel(model.level(2));
        EncodeResult result = model.encode(batch, level2);

        assertEquals(List.of("broken", "short"), result.failures().stream().map(EncodeResult.Failure::id).toList());
        assertEquals(List.of(1, 3), result.failures().stream().map(EncodeResult.Failure::index).toList());
        assertInstanceOf(ImageDecodeException.class, result.failures().get(0).cause());
        assertTrue(result.failures().get(1).message().contains("3 x 32 x 32"), result.failures().get(1).message());
        assertEquals(List.of("a", "c"), result.embedded().stream().map(EncodeResult.Embedded::id).toList());
        assertEquals(List.of(0, 2), result.embedded().stream().map(EncodeResult.Embedded::index).toList());

        Encoding aloneA = model.encode(model.preprocessor().preprocess(jpeg), 1, level2.widths());
        Encoding aloneC = model.encode(pixels, 1, level2.widths());
        assertArrayEquals(aloneA.embedding(0), result.embedded().get(0).embedding(), 1e-5f);
        assertArrayEquals(aloneC.embedding(0), result.embedded().get(1).embedding(), 1e-5f);
        assertArrayEquals(aloneC.logits(0), result.embedded().get(1).logits(), 1e-4f);
        assertTrue(result.encodeNanos() > 0);
    }

    @Test
    void severalSubmodelsShareOneDecodeAndMatchSingleSubmodelCalls() {
        EncodeBatch batch = new EncodeBatch(List.of(new EncodeBatch.ImageBytes("a", jpeg), new EncodeBatch.ImageBytes("b", png)));
        List<Submodel> submodels = List.of(model.submodel(model.full()), model.submodel(model.level(8)),
                model.submodel(model.widths(16, 32, 64, 128)));
        Map<Submodel, EncodeResult> all = model.encode(batch, submodels);
        assertEquals(submodels, List.copyOf(all.keySet()));
        for (Submodel s : submodels) {
            EncodeResult alone = model.encode(batch, s);
            assertEquals(s, all.get(s).submodel());
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(alone.embedded().get(i).embedding(), all.get(s).embedded().get(i).embedding(), 1e-5f, s.name());
            }
        }
        assertTrue(MatMambaModelTest.relativeL2(all.get(submodels.get(0)).embedded().get(0).embedding(),
                all.get(submodels.get(1)).embedded().get(0).embedding()) > 1e-3, "full and level8 differ");
    }

    @Test
    void aBatchOfOnlyFailuresEncodesNothing() {
        EncodeResult result = model.encode(new EncodeBatch(List.of(new EncodeBatch.ImageBytes("x", new byte[] {1, 2, 3}))),
                model.submodel(model.full()));
        assertEquals(0, result.embedded().size());
        assertEquals(1, result.failures().size());
        assertEquals(0, result.encodeNanos());
    }

    @Test
    void submodelsAreEqualByWidthsAndNameAndServeAsMapKeys() {
        Submodel a = model.submodel(model.level(4));
        Submodel b = model.submodel(model.widths(32, 32, 32, 32));
        Submodel again = model.submodel(model.level(4));
        assertEquals(a, again);
        assertEquals(a.hashCode(), again.hashCode());
        assertEquals("level4", a.name());
        assertEquals(model.cost(model.level(4)), a.cost());
        assertNotEquals(a, b, "same widths under another name are another report row");
        assertEquals(a.cost(), b.cost());
        Map<Submodel, String> keyed = new HashMap<>();
        keyed.put(a, "first");
        keyed.put(again, "second");
        keyed.put(b, "mix");
        assertEquals(2, keyed.size());
        assertEquals("second", keyed.get(model.submodel(model.level(4))));
    }
}
