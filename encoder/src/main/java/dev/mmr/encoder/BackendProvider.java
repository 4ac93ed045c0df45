package dev.mmr.encoder;

import java.util.Optional;

/** Opens {@link EncoderBackend}s for one kind of device; registered in {@code META-INF/services}. */
public interface BackendProvider {

    /** The device name users pass to {@code --device}: {@code "cpu"}, {@code "cuda"}. */
    String device();

    /** Why this device cannot run here (no GPU, no CUDA 13 runtime, a library missing), or empty when it can. */
    Optional<String> unavailableReason();

    /** Prepares the weights of a checkpoint (uploads them, for a GPU) and returns a backend that runs them. */
    EncoderBackend open(ModelConfig config, WeightSource weights, Precision precision);
}
