package dev.mmr.encoder.cpu;

import dev.mmr.encoder.BackendProvider;
import dev.mmr.encoder.EncoderBackend;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import dev.mmr.encoder.WeightSource;
import java.util.Locale;
import java.util.Optional;

/** The {@code cpu} device: always usable; runs fp32 only and refuses the tensor-core precisions by name. */
public final class CpuBackendProvider implements BackendProvider {
    public static final String DEVICE = "cpu";

    @Override public String device() {
        return DEVICE;
    }

    @Override public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override public EncoderBackend open(ModelConfig config, WeightSource weights, Precision precision) {
        if (precision != Precision.FP32) {
            throw new IllegalArgumentException("the cpu backend computes in fp32 only; precision "
                    + precision.name().toLowerCase(Locale.ROOT) + " needs --device cuda");
        }
        return new CpuBackend(config, weights);
    }
}
