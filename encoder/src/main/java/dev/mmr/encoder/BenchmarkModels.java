package dev.mmr.encoder;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The model shapes encoder benchmarks run, with random weights: the released 35M and 135M MatMamba-Vision shapes at
 * 224px and the shipped CIFAR-10 shape at 32px. Throughput depends on the shape alone, so no checkpoint is needed.
 */
public final class BenchmarkModels {
    private static final long SEED = 42;

    private BenchmarkModels() {
    }

    /**
     * The shape named {@code name} ({@code 35M}, {@code 135M}, {@code cifar}); {@code layers} and {@code imageSize}
     * replace the shape's own (20 layers at 224px; cifar 6 at 32px) when not null.
     */
    public static ModelConfig shape(String name, Integer layers, Integer imageSize) {
        return switch (name) {
            case "35M" -> new ModelConfig(512, or(layers, 20), 1000, 16, or(imageSize, 224), 128, 4, 2, 1e-5);
            case "135M" -> new ModelConfig(1024, or(layers, 20), 1000, 16, or(imageSize, 224), 128, 4, 2, 1e-5);
            case "cifar" -> new ModelConfig(256, or(layers, 6), 10, 4, or(imageSize, 32), 64, 4, 2, 1e-5);
            default -> throw new IllegalArgumentException("unknown shape " + name + " (known: 35M, 135M, cifar)");
        };
    }

    /**
     * Random weights of the right shapes at a plausible scale, for benchmarks: unit norms and skips, decays as the
     * authors initialise them ({@code A} uniform in [1, 16], the step's bias the inverse softplus of a step log-uniform
     * in [0.001, 0.1]), Gaussian matrices scaled by 1/sqrt(fan-in), other biases zero. The decays matter to speed: the
     * cuda backend's tensor scan takes a slower form for a head that decays by more than e^-60 over 16 tokens, which
     * a zero step bias's heads do (steps near 0.7) and trained ones do not (the shipped CIFAR-10 model's and the golden
     * weights' step biases give at most e^-22). Each tensor is
     * drawn from a seed of its own name, so every backend opened from these weights (or reading a tensor twice) gets
     * the same values, and none of them is held here.
     */
    public static WeightSource randomWeights(ModelConfig c) {
        Map<String, long[]> shapes = Checkpoint.expectedShapes(c);
        return name -> {
            long[] shape = shapes.get(name);
            if (shape == null) {
                throw new IllegalArgumentException("no tensor " + name + " in this model's shapes");
            }
            SplittableRandom random = new SplittableRandom(SEED ^ name.hashCode());
            float[] data = new float[Math.toIntExact(Arrays.stream(shape).reduce(1, Math::multiplyExact))];
            if (name.endsWith("norm.weight") || name.endsWith("norm_f.weight") || name.endsWith(".D")) {
                Arrays.fill(data, 1f);
            } else if (name.endsWith("A_log")) {
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) Math.log(1 + 15 * random.nextDouble());
                }
            } else if (name.endsWith("dt_bias")) {
                for (int i = 0; i < data.length; i++) {
                    double step = Math.exp(Math.log(1e-3) + (Math.log(1e-1) - Math.log(1e-3)) * random.nextDouble());
                    data[i] = (float) (step + Math.log(-Math.expm1(-step)));
                }
            } else if (!name.endsWith("bias")) {
                float scale = (float) (1 / Math.sqrt(shape[shape.length - 1] * (shape.length > 2 ? shape[1] : 1)));
                for (int i = 0; i < data.length; i++) {
                    data[i] = scale * (float) random.nextGaussian();
                }
            }
            return data;
        };
    }

    private static int or(Integer option, int shapeDefault) {
        return option == null ? shapeDefault : option;
    }
}
