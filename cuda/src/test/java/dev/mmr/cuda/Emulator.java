package dev.mmr.cuda;

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.NetworkOutput;
import dev.mmr.encoder.Precision;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The CUDA kernels and cuBLAS products (single and strided batched) of a {@link PassPlan} run on the CPU: the kernel
 * sources compiled by g++ with the options NVRTC gets (emulator/emulator.cpp, cuda_emulation.h), fed a job file of the
 * plan's allocations and steps.
 * It checks every access against the allocations as it runs, so a pass that reads or writes outside its buffers, or a
 * shuffle some lanes never reach, fails here with the step named instead of on a GPU.
 */
final class Emulator {
    private static final String FOLDER = "emulator/";
    private static final long RUN_SECONDS = 600;

    private final KernelBuild build;
    private final Path dir;
    private final Path binary;

    private Emulator(KernelBuild build, Path dir) {
        this.build = build;
        this.dir = dir;
        this.binary = dir.resolve("emulator");
    }

    /** Why the emulator cannot be built here (it needs x86-64 Linux and g++), if it cannot. */
    static Optional<String> unavailableReason() {
        String arch = System.getProperty("os.arch");
        if (!System.getProperty("os.name").equals("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return Optional.of("the emulator's fibers need x86-64 Linux, this is " + System.getProperty("os.name") + " " + arch);
        }
        try {
            Process p = new ProcessBuilder("g++", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0 ? Optional.empty() : Optional.of("g++ --version failed");
        } catch (IOException e) {
            return Optional.of("no g++ on the PATH");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** Compiles the emulator with the kernels as {@code build} specialises them, in {@code dir}. */
    static Emulator compile(KernelBuild build, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String name : Stream.concat(KernelBuild.SOURCES.stream(), Stream.of(KernelBuild.HEADER)).toList()) {
            Files.writeString(dir.resolve(name), KernelBuild.source(name));
        }
        for (String name : List.of("emulator.cpp", "cuda_emulation.h")) {
            try (InputStream in = Emulator.class.getResourceAsStream(FOLDER + name)) {
                Files.write(dir.resolve(name), in.readAllBytes());
            }
        }
        StringBuilder table = new StringBuilder();
        for (String source : KernelBuild.SOURCES) {
            table.append("#include \"").append(source).append("\"\n");
        }
        table.append("#define EMU_KERNELS(X)");
        for (Kernel k : Kernel.values()) {
            table.append(" X(").append(k.symbol).append(')');
        }
        Files.writeString(dir.resolve("kernels.inc"), table.append('\n').toString());
        List<String> command = new ArrayList<>(List.of("g++", "-std=c++17", "-O2", "-Wall", "-Wno-unknown-pragmas",
                "-Werror", "-I", dir.toString()));
        build.options().stream().filter(o -> o.startsWith("-D")).forEach(command::add);
        command.addAll(List.of("-o", dir.resolve("emulator").toString(), dir.resolve("emulator.cpp").toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0 || !output.isBlank()) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
        return new Emulator(build, dir);
    }

    KernelBuild build() {
        return build;
    }

    /**
     * One forward pass of {@code batch} images at {@code widths} with the scan in form {@code scan} (as it runs in
     * {@code precision}: {@link ScanForm#in}), as {@link ForwardPass} queues it: the workspace's buffers are allocated in {@code memory} (each apart, so a step that
     * strays from its buffer faults), the pixels uploaded, the plan run ({@code edit} may change its steps first, as
     * a test of the emulator's own checks does), and the features and logits read back.
     */
    NetworkOutput forward(ModelConfig config, EmulatedMemory memory, WeightAddresses weights, Precision precision,
                          ScanForm scan, float[] pixels, int batch, int[] widths, long scheduleSeed,
                          UnaryOperator<List<PassPlan.Step>> edit) throws IOException, InterruptedException {
        scan = scan.in(precision);
        WorkspaceLayout layout = new WorkspaceLayout(config, build, batch, scan);
        Map<Buffer, Long> at = new EnumMap<>(Buffer.class);
        for (Buffer b : layout.buffers()) {
            at.put(b, memory.allocate(layout.bytes(b), b.name()));
        }
        try {
            if (build.bf16()) {
                memory.upload(at.get(Buffer.PIXELS), Bf16.pack(pixels));
            } else {
                memory.upload(at.get(Buffer.PIXELS), pixels);
            }
            List<PassPlan.Step> steps = edit.apply(PassPlan.of(config, build, scan, weights, at::get, batch, widths));
            List<float[]> out = run(memory, steps, precision,
                    List.of(new Output(at.get(Buffer.FEATURES), batch * config.dModel()),
                            new Output(at.get(Buffer.LOGITS), batch * config.nClasses())), scheduleSeed);
            return new NetworkOutput(out.get(0), out.get(1));
        } finally {
            at.values().forEach(memory::free);
        }
    }

    /** {@code floats} float32 values at device address {@code address}, read back after a run. */
    record Output(long address, int floats) {
    }

    /**
     * Runs {@code steps} over {@code memory}'s allocations and returns {@code outputs}' values. A {@code scheduleSeed}
     * other than 0 resumes each block's threads in a shuffled order (from that seed) instead of in index order.
     */
    List<float[]> run(EmulatedMemory memory, List<PassPlan.Step> steps, Precision precision, List<Output> outputs,
                      long scheduleSeed) throws IOException, InterruptedException {
        Path job = Files.createTempFile(dir, "job", ".bin");
        Path result = Files.createTempFile(dir, "out", ".bin");
        try {
            writeJob(job, memory, steps, precision, outputs);
            Process p = new ProcessBuilder(binary.toString(), job.toString(), result.toString(), Long.toUnsignedString(scheduleSeed))
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(RUN_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("the emulator ran past " + RUN_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                throw new EmulatorException(log.strip() + " (exit " + p.exitValue() + ")");
            }
            ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(result)).order(ByteOrder.LITTLE_ENDIAN);
            List<float[]> values = new ArrayList<>();
            for (Output o : outputs) {
                float[] v = new float[o.floats()];
                in.asFloatBuffer().get(v);
                in.position(in.position() + v.length * Float.BYTES);
                values.add(v);
            }
            return values;
        } finally {
            Files.deleteIfExists(job);
            Files.deleteIfExists(result);
        }
    }

    /** A run the emulator stopped: what it printed, naming the step. */
    static final class EmulatorException extends RuntimeException {
        EmulatorException(String message) {
            super(message);
        }
    }

    private static void writeJob(Path job, EmulatedMemory memory, List<PassPlan.Step> steps, Precision precision,
                                 List<Output> outputs) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(job), 1 << 20)) {
            LittleEndian w = new LittleEndian(out);
            out.write("MMREMU01".getBytes(StandardCharsets.US_ASCII));
            List<EmulatedMemory.Allocation> allocations = memory.allocations();
            w.i32(allocations.size());
            for (EmulatedMemory.Allocation a : allocations) {
                w.i64(a.address).i64(a.bytes).i8(a.content == null ? 0 : 1);
                if (a.content != null) {
                    out.write(a.content.array(), 0, Math.toIntExact(a.bytes));
                }
            }
            w.i32(steps.size());
            for (PassPlan.Step step : steps) {
                switch (step) {
                    case PassPlan.Launch l -> {
                        byte[] name = l.kernel().symbol.getBytes(StandardCharsets.US_ASCII);
                        w.i8('L').i16(name.length);
                        out.write(name);
                        w.i32(l.geometry().grid()).i32(l.geometry().block()).i32(l.geometry().shared()).i32(l.args().size());
                        for (PassPlan.Arg a : l.args()) {
                            w.i8(a.kind()).i64(a.value());
                        }
                    }
                    case PassPlan.Product p -> {
                        Gemm g = p.gemm();
                        w.i8('G').i8(g.transA() ? 1 : 0).i8(g.transB() ? 1 : 0).i8(p.bf16Operands(precision) ? 1 : 0)
                                .i8(p.tf32(precision) ? 1 : 0).i8(p.bf16Output(precision) ? 1 : 0).i32(g.m()).i32(g.n()).i32(g.k()).i32(g.lda()).i32(g.ldb())
                                .i32(g.ldc()).i64(p.aAddress(precision)).i64(p.b()).i64(p.c());
                    }
                    case PassPlan.BatchedProduct p -> {
                        Gemm g = p.gemm();
                        w.i8('B').i8(g.transA() ? 1 : 0).i8(g.transB() ? 1 : 0).i8(0).i8(p.tf32(precision) ? 1 : 0).i8(0)
                                .i32(g.m()).i32(g.n()).i32(g.k()).i32(g.lda()).i32(g.ldb()).i32(g.ldc()).i64(p.a())
                                .i64(p.b()).i64(p.c()).i64(p.strideA()).i64(p.strideB()).i64(p.strideC()).i32(p.count());
                    }
                }
            }
            w.i32(outputs.size());
            for (Output o : outputs) {
                w.i64(o.address()).i64((long) o.floats() * Float.BYTES);
            }
        }
    }

    /** Little-endian fields, as emulator.cpp reads them. */
    private record LittleEndian(OutputStream out) {
        LittleEndian i8(int v) throws IOException {
            out.write(v);
            return this;
        }

        LittleEndian i16(int v) throws IOException {
            return i8(v).i8(v >>> 8);
        }

        LittleEndian i32(int v) throws IOException {
            return i16(v).i16(v >>> 16);
        }

        LittleEndian i64(long v) throws IOException {
            return i32((int) v).i32((int) (v >>> 32));
        }
    }

    @Override public String toString() {
        return "emulator of " + build.options().stream().filter(o -> o.startsWith("-D")).collect(Collectors.joining(" "));
    }
}
