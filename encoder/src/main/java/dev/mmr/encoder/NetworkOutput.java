package dev.mmr.encoder;

/** The network's outputs for a batch, row-major: {@code features} (batch x D, norm_f at the [CLS] token), {@code logits} (batch x classes). */
public record NetworkOutput(float[] features, float[] logits) {
}
