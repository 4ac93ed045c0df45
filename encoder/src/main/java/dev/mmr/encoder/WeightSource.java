package dev.mmr.encoder;

/** A checkpoint's state-dict tensors by name, as float32 in row-major order. */
@FunctionalInterface
public interface WeightSource {
    float[] tensor(String name);
}
