package dev.mmr.encoder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The backend provider that serves a {@link Device} request, found among the {@link BackendProvider}s on the class path
 * ({@code META-INF/services}), and why it was chosen: {@code auto} takes {@code cuda} when its provider is present and
 * usable, else {@code cpu}, and says why cuda was passed over; {@code cuda} requested but not usable is refused naming
 * the reason.
 *
 * @param provider the provider that opens the backend
 * @param reason   why: "requested", or why auto passed over cuda
 */
public record BackendChoice(BackendProvider provider, String reason) {
    private static final String CPU = "cpu";
    private static final String CUDA = "cuda";

    /** Chooses among the providers registered on the class path. */
    public static BackendChoice choose(Device requested) {
        return choose(requested, registeredProviders());
    }

    /** Chooses among {@code providers}, keyed by {@link BackendProvider#device()}. */
    static BackendChoice choose(Device requested, Map<String, BackendProvider> providers) {
        return switch (requested) {
            case CPU -> new BackendChoice(require(providers, CPU), "requested");
            case CUDA -> {
                BackendProvider cuda = require(providers, CUDA);
                Optional<String> why = unavailableReason(cuda);
                if (why.isPresent()) {
                    throw new IllegalArgumentException("--device cuda: cuda is not usable here: " + why.get());
                }
                yield new BackendChoice(cuda, "requested");
            }
            case AUTO -> {
                BackendProvider cuda = providers.get(CUDA);
                Optional<String> why = cuda == null ? Optional.of("no cuda backend on the class path (the cuda module is not installed)")
                        : unavailableReason(cuda);
                yield why.isEmpty() ? new BackendChoice(cuda, "auto: cuda is usable")
                        : new BackendChoice(require(providers, CPU), "auto: cuda not usable: " + why.get());
            }
        };
    }

    /** The device chosen and why, for the line every model load prints. */
    public String describe() {
        return provider.device() + " (" + reason + ")";
    }

    private static BackendProvider require(Map<String, BackendProvider> providers, String device) {
        BackendProvider p = providers.get(device);
        if (p == null) {
            throw new IllegalArgumentException("--device " + device + ": no " + device + " backend on the class path (known: "
                    + String.join(", ", providers.keySet()) + ")");
        }
        return p;
    }

    /** The provider's own reason, or the error that asking it raised (a native library that fails to load). */
    private static Optional<String> unavailableReason(BackendProvider provider) {
        try {
            return provider.unavailableReason();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of(e.toString());
        }
    }

    private static Map<String, BackendProvider> registeredProviders() {
        Map<String, BackendProvider> byDevice = new LinkedHashMap<>();
        List<ServiceLoader.Provider<BackendProvider>> found = ServiceLoader.load(BackendProvider.class).stream().toList();
        for (ServiceLoader.Provider<BackendProvider> p : found) {
            try {
                BackendProvider provider = p.get();
                byDevice.putIfAbsent(provider.device(), provider);
            } catch (ServiceConfigurationError | LinkageError e) {
                System.err.println("encoder: backend " + p.type().getName() + " cannot be loaded: " + e);
            }
        }
        return byDevice;
    }
}
