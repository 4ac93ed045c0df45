package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The network's shape, derived from ModelConfig alone and used by the checkpoint check, the cost model and the backends. */
class NetworkShapeTest {
    private static final ModelConfig SMALL = new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5);

    @Test
    void theReleased35MShape() {
        assertEquals(16, SMALL.headdim());
        assertEquals(1024, SMALL.dInner());
        assertEquals(64, SMALL.nHeads());
        assertEquals(2 * 1024 + 2 * 128 + 64, SMALL.inProjRows());
        assertEquals(1024 + 2 * 128, SMALL.convChannels());
        assertEquals(197, SMALL.nTokens());
    }

    @Test
    void aNestedWidthUsesItsSliceOfXZAndDtAndAllOfBAndC() {
        assertEquals(128, SMALL.dInner(64));
        assertEquals(8, SMALL.nHeads(64));
        assertEquals(2 * 128 + 2 * 128 + 8, SMALL.inProjRows(64));
        assertEquals(SMALL.inProjRows(), SMALL.inProjRows(SMALL.dModel()));
    }

    @Test
    void checkpointShapesComeFromTheSameMethods() {
        Map<String, long[]> shapes = Checkpoint.expectedShapes(SMALL);
        assertArrayEquals(new long[] {SMALL.inProjRows(), 512}, shapes.get("layers.7.mixer.in_proj.weight"));
        assertArrayEquals(new long[] {SMALL.convChannels(), 1, 4}, shapes.get("layers.7.mixer.conv1d.weight"));
        assertArrayEquals(new long[] {SMALL.convChannels()}, shapes.get("layers.0.mixer.conv1d.bias"));
        assertArrayEquals(new long[] {SMALL.nHeads()}, shapes.get("layers.19.mixer.A_log"));
        assertArrayEquals(new long[] {512, SMALL.dInner()}, shapes.get("layers.19.mixer.out_proj.weight"));
    }
}
