package dev.mmr.cuda;

import dev.mmr.encoder.BackendProvider;
import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import java.util.Optional;

/** The {@code cuda} device: an NVIDIA GPU of compute capability 9.0 or newer with the CUDA 13 libraries. */
public final class CudaProvider implements BackendProvider {
    @Override public String device() {
        return "cuda";
    }

    @Override public Optional<String> unavailableReason() {
        try {
            return CudaDevice.unavailableReason();
        } catch (LinkageError e) {
            return Optional.of("the CUDA backend's classes could not be loaded: " + e);
        }
    }

    @Override public EncoderBackend open(ModelConfig config, WeightSource weights, Precision precision) {
        return new CudaBackend(config, weights, precision);
    }
}
