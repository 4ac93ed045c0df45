package dev.mmr.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.MatMambaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SubmodelSweepTest {

    private static Path goldenTiny() {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("models"))) {
            root = root.getParent();
        }
        return root.resolve("models/golden-tiny");
    }

    @Test
    void levelsThenUniformMidpointsAndPyramidsForGoldenTiny() throws Exception {
        // golden-tiny: D 128, 4 layers, headdim 4, so widths move in steps of 2
        try (MatMambaModel model = MatMambaModel.load(goldenTiny())) {
            List<Submodel> sweep = SubmodelSweep.of(model, List.of());
            assertEquals(List.of("level1", "level2", "level4", "level8", "mix-uniform-96", "mix-uniform-48", "mix-uniform-24",
                    "mix-pyramid", "mix-inverted-pyramid"), sweep.stream().map(Submodel::name).toList());
            assertArrayEquals(new int[] {64, 64, 64, 64}, sweep.get(1).widths().perLayer());
            // 128 * (1/8)^(l/3): 128, 64, 32, 16
            assertArrayEquals(new int[] {128, 64, 32, 16}, sweep.get(7).widths().perLayer());
            assertArrayEquals(new int[] {16, 32, 64, 128}, sweep.get(8).widths().perLayer());
            Set<String> distinct = new HashSet<>();
            sweep.forEach(s -> assertTrue(distinct.add(Arrays.toString(s.widths().perLayer())), s.name() + " repeats a width list"));
            assertEquals(4, sweep.stream().filter(s -> s.kind() == Submodel.Kind.NESTED).count());
        }
    }

    @Test
    void requestedWidthListsFollowTheSweepAndBadOnesAreRefusedWithTheReason() throws Exception {
        try (MatMambaModel model = MatMambaModel.load(goldenTiny())) {
            List<Submodel> sweep = SubmodelSweep.of(model, List.of(new int[] {128, 96, 64, 32}, new int[] {16, 16, 32, 32}));
            assertEquals(List.of("mix-128-96-64-32", "mix-16-16-32-32"), sweep.subList(9, 11).stream().map(Submodel::name).toList());
            assertArrayEquals(new int[] {128, 96, 64, 32}, sweep.get(9).widths().perLayer());
            assertEquals(Submodel.Kind.MIXNMATCH, sweep.get(10).kind());

            IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                    () -> SubmodelSweep.of(model, List.<int[]>of(new int[] {128, 64, 32})));
            assertTrue(layers.getMessage().contains("3 widths for 4 layers"), layers.getMessage());
            assertThrows(IllegalArgumentException.class, () -> SubmodelSweep.of(model, List.<int[]>of(new int[] {128, 64, 33, 16})));
            assertThrows(IllegalArgumentException.class, () -> SubmodelSweep.of(model, List.<int[]>of(new int[] {256, 64, 32, 16})));
            IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
                    () -> SubmodelSweep.of(model, List.<int[]>of(new int[] {128, 64, 32, 16})));
            assertTrue(again.getMessage().contains("mix-pyramid"), again.getMessage());
        }
    }

    @Test
    void widthsRoundToWhatTheHeadsAllow() {
        assertEquals(2, SubmodelSweep.widthStep(4));
        assertEquals(3, SubmodelSweep.widthStep(3));
        assertEquals(48, SubmodelSweep.round(47.2, 2));
        assertEquals(2, SubmodelSweep.round(0.4, 2), "never below one step");
    }

    @Test
    void baselineLevelsComeFromTheSpecOrTheDirectoryName() {
        assertEquals(new BaselineModel(Path.of("models/cifar10-baseline-l4"), 4), BaselineModel.parse("models/cifar10-baseline-l4"));
        assertEquals(new BaselineModel(Path.of("models/mine"), 2), BaselineModel.parse("models/mine@2"));
        assertEquals("baseline-l8", BaselineModel.parse("x-l8/").rowName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BaselineModel.parse("models/mine"));
        assertTrue(e.getMessage().contains("DIR@LEVEL"));
    }
}
