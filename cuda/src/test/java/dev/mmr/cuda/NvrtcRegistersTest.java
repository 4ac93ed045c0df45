package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The mixer's kernels as the backend builds them at run time, through NVRTC, stay in registers: no spills, the tensor
 * scan within its 128 registers a thread. {@link KernelCompileTest} checks the same with nvcc, whose code generation
 * can differ (an H100's NVRTC spilled in a TF32 build that nvcc kept in registers). Part of the GPU run, where NVRTC
 * is; skipped, saying so, where it cannot be loaded.
 */
class NvrtcRegistersTest {
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("dev.mmr.cuda.KernelCompileTest#scanBuilds")
    void mixerKernelsStayInRegisters(String source, String label, KernelBuild build) {
        NvrtcCompileTest.assumeNvrtc("NvrtcRegistersTest");
        String report = Nvrtc.resourceReport(source, build);
        Matcher m = Pattern.compile("for '?" + Kernel.SSD_TENSOR.symbol + "'?\\R(?:.*\\R)*?[^\\n]*Used (\\d+) registers").matcher(report);
        assertTrue(m.find(), "no register count for ssd_tensor in:\n" + report);
        System.out.println("NvrtcRegistersTest ssd_tensor, " + label + ": " + m.group(1) + " registers");
        assertFalse(report.matches("(?s).*\\b[1-9][0-9]* bytes spill.*"), "spills:\n" + report);
        assertTrue(Integer.parseInt(m.group(1)) <= 128, "ssd_tensor uses " + m.group(1) + " registers");
    }
}
