package dev.mmr.encoder;

/**
 * The arithmetic a backend uses for its matrix products: {@code FP32} everywhere, {@code TF32} products with float32
 * accumulation (tensor cores), or {@code BF16} weights and activations with float32 accumulation. Elementwise work and
 * the scan's state always accumulate in float32. The CPU backend runs FP32 only.
 */
public enum Precision {
    FP32, TF32, BF16
}
