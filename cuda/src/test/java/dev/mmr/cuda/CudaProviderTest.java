package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.mmr.encoder.BackendProvider;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The provider is found by the seam's lookup and says plainly whether this machine can run it; it never throws. */
class CudaProviderTest {
    @Test
    void isRegisteredForTheCudaDevice() {
        List<String> devices = ServiceLoader.load(BackendProvider.class).stream()
                .filter(p -> p.type() == CudaProvider.class).map(p -> p.get().device()).toList();
        assertEquals(List.of("cuda"), devices);
    }

    @Test
    void reportsItsAvailabilityWithoutThrowing() {
        Optional<String> reason = new CudaProvider().unavailableReason();
        System.out.println("cuda backend: " + reason.map(r -> "unavailable: " + r).orElseGet(() -> "available: " + CudaDevice.get().describe()));
        reason.ifPresent(r -> assertFalse(r.isBlank()));
        assertEquals(reason, new CudaProvider().unavailableReason());
    }
}
