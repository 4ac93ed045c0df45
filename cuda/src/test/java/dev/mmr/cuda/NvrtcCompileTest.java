package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel source through {@link Nvrtc}, the path the backend compiles with at run time (JavaCPP's NVRTC binding,
 * the header handed over by name, the build's options, the cubin read back), for the builds {@link KernelCompileTest}
 * gives nvcc: each must come back as an ELF cubin holding its kernels. NVRTC needs no GPU, only libnvrtc.so.13 (and
 * the CUDA runtime JavaCPP loads beside it); skipped, saying so, where they cannot be loaded.
 */
class NvrtcCompileTest {
    static Stream<Arguments> builds() {
        return KernelCompileTest.builds();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("builds")
    void compilesToACubinHoldingItsKernels(String source, String label, KernelBuild build) {
        assumeNvrtc();
        byte[] cubin = Nvrtc.compile(source, build);
        assertEquals(0x7F, cubin[0]);
        assertEquals("ELF", new String(cubin, 1, 3, StandardCharsets.US_ASCII));
        String text = new String(cubin, StandardCharsets.ISO_8859_1);
        for (Kernel k : Kernel.values()) {
            if (k.source.equals(source)) {
                assertTrue(text.contains(k.symbol), k.symbol + " missing from the cubin of " + source);
            }
        }
    }

    private static void assumeNvrtc() {
        String reason = null;
        try {
            Loader.load(nvrtc.class);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            reason = "NVRTC (libnvrtc.so.13) cannot be loaded here: " + e.getMessage();
        }
        if (reason != null) {
            System.out.println("NvrtcCompileTest skipped: " + reason);
        }
        Assumptions.assumeTrue(reason == null, reason);
    }
}
