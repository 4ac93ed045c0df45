package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kernel source compiled by {@code nvcc} for sm_90 with exactly the options NVRTC gets at run time, for the
 * golden, CIFAR and released shapes (and state sizes that pad or split further) in both activation types: any error or warning fails, every kernel must be in
 * the output under its unmangled name, and the mixer's kernels (the recurrent scan's state above all) must stay in
 * registers (no stack frame, no spills); the tensor scan must run on tensor cores (its mma.sync in the PTX: bf16 in
 * bf16 builds, TF32 otherwise) within 128 registers a thread (two blocks of 256 threads an SM).
 * Skipped, saying so, where nvcc is not on the PATH.
 */
class KernelCompileTest {
    private static final int HOPPER = 90;

    @TempDir
    static Path sources;

    @BeforeAll
    static void writeSources() throws IOException {
        for (String name : Stream.concat(KernelBuild.SOURCES.stream(), Stream.of(KernelBuild.HEADER)).toList()) {
            Files.writeString(sources.resolve(name), KernelBuild.source(name));
        }
    }

    static Stream<Arguments> builds() {
        List<Arguments> builds = new ArrayList<>();
        ModelConfig[] shapes = {new ModelConfig(128, 4, 10, 4, 32, 64, 4, 2, 1e-5), new ModelConfig(256, 6, 10, 4, 32, 64, 4, 2, 1e-5),
                new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5), new ModelConfig(1024, 20, 1000, 16, 224, 128, 4, 2, 1e-5),
                // N 22: state rows padded to 24; N 256: a channel's state over 4 lanes
                new ModelConfig(768, 2, 10, 16, 224, 22, 4, 2, 1e-5), new ModelConfig(256, 2, 10, 16, 224, 256, 4, 2, 1e-5)};
        for (ModelConfig shape : shapes) {
            for (Precision p : new Precision[] {Precision.FP32, Precision.BF16}) {
                for (String source : KernelBuild.SOURCES) {
                    builds.add(Arguments.of(source, "d_model " + shape.dModel() + " N " + shape.dState() + " " + p, KernelBuild.of(shape, HOPPER, p)));
                }
            }
        }
        return builds.stream();
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("builds")
    void compilesWithoutWarningsForHopper(String source, String label, KernelBuild build) throws Exception {
        Path ptx = sources.resolve(source + "." + build.hashCode() + ".ptx");
        String output = nvcc(build, source, "-ptx", ptx);
        String text = Files.readString(ptx);
        for (Kernel k : Kernel.values()) {
            if (k.source.equals(source)) {
                assertTrue(text.contains(".entry " + k.symbol + "("), k.symbol + " missing from the PTX of " + source);
            }
        }
        assertTrue(output.isBlank(), "nvcc printed:\n" + output);
    }

    static Stream<Arguments> scanBuilds() {
        return builds().filter(a -> a.get()[0].equals(Kernel.SSM_SCAN.source));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("scanBuilds")
    void mixerKernelsStayInRegisters(String source, String label, KernelBuild build) throws Exception {
        String report = nvcc(build, source, "-cubin", sources.resolve("scan." + build.hashCode() + ".cubin"), "-Xptxas", "-v");
        for (Kernel k : Kernel.values()) {
            if (k.source.equals(source)) {
                assertTrue(report.contains(k.symbol), k.symbol + " missing from:\n" + report);
            }
        }
        assertFalse(report.matches("(?s).*\\b[1-9][0-9]* bytes spill.*"), "spills:\n" + report);
        assertFalse(report.matches("(?s).*\\b[1-9][0-9]* bytes stack frame.*"), "stack frame:\n" + report);
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("scanBuilds")
    void tensorScanUsesTensorCoresWithinItsRegisterBudget(String source, String label, KernelBuild build) throws Exception {
        Path ptx = sources.resolve("tensor." + build.hashCode() + ".ptx");
        nvcc(build, source, "-ptx", ptx);
        String mma = build.bf16() ? "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"
                : "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32";
        String text = Files.readString(ptx);
        int start = text.indexOf(".entry " + Kernel.SSD_TENSOR.symbol + "(");
        int end = text.indexOf(".entry ", start + 1);
        assertTrue(text.substring(start, end < 0 ? text.length() : end).contains(mma), "no " + mma + " in ssd_tensor");
        String report = nvcc(build, source, "-cubin", sources.resolve("tensor." + build.hashCode() + ".cubin"), "-Xptxas", "-v");
        Matcher m = Pattern.compile("for " + Kernel.SSD_TENSOR.symbol
                + "\\R.*\\R[^\\n]*Used (\\d+) registers").matcher(report);
        assertTrue(m.find(), "no register count for ssd_tensor in:\n" + report);
        System.out.println("KernelCompileTest ssd_tensor, " + label + ": " + m.group(1) + " registers");
        assertTrue(Integer.parseInt(m.group(1)) <= 128, "ssd_tensor uses " + m.group(1) + " registers");
    }

    /** Runs nvcc with the build's NVRTC options; fails on a non-zero exit, returns what it printed. */
    private static String nvcc(KernelBuild build, String source, String mode, Path out, String... extra) throws Exception {
        Path nvcc = findNvcc();
        List<String> command = new ArrayList<>(List.of(nvcc.toString(), mode, "-Werror", "all-warnings", "-I", sources.toString()));
        command.addAll(build.options());
        command.addAll(List.of(extra));
        command.addAll(List.of("-o", out.toString(), sources.resolve(source).toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "nvcc did not finish");
        assertEquals(0, process.exitValue(), String.join(" ", command) + "\n" + output);
        return output;
    }

    private static Path findNvcc() {
        String path = System.getenv().getOrDefault("PATH", "");
        Path found = Stream.of(path.split(java.io.File.pathSeparator)).map(dir -> Path.of(dir, "nvcc"))
                .filter(Files::isExecutable).findFirst().orElse(null);
        String reason = "skipped: nvcc is not on the PATH, so the CUDA kernels were not compiled (install the CUDA 13 toolkit)";
        if (found == null) {
            System.out.println("KernelCompileTest " + reason);
        }
        Assumptions.assumeTrue(found != null, reason);
        return found;
    }
}
