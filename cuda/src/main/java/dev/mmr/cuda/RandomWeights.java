package dev.mmr.cuda;

import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.WeightSource;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random weights of a configuration's shapes at a plausible scale, for benchmarks: unit norms and skips, decays spread
 * like the authors' initialisation, Gaussian matrices scaled by 1/sqrt(fan-in), zero biases (the recipe of
 * bench-encoder on the CPU). Generated once and held, so several backends can be opened from them.
 */
final class RandomWeights implements WeightSource {
    private final Map<String, float[]> tensors = new HashMap<>();

    RandomWeights(ModelConfig c, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (Map.Entry<String, long[]> e : Checkpoint.expectedShapes(c).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            float[] data = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact))];
            if (name.endsWith("norm.weight") || name.endsWith("norm_f.weight") || name.endsWith(".D")) {
                Arrays.fill(data, 1f);
            } else if (name.endsWith("A_log")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) Math.log(1 + 15 * random.nextDouble());
                }
            } else if (!name.endsWith("bias")) {
                float scale = (float) (1 / Math.sqrt(shape[shape.length - 1] * (shape.length > 2 ? shape[1] : 1)));
                for (int i = 0; i < data.length; i++) {
                    data[i] = scale * (float) random.nextGaussian();
                }
            }
            tensors.put(name, data);
        }
    }

    @Override public float[] tensor(String name) {
        return tensors.get(name);
    }
}
