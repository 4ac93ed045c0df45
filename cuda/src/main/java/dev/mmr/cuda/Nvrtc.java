package dev.mmr.cuda;

import static org.bytedeco.cuda.global.nvrtc.nvrtcCompileProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcCreateProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcDestroyProgram;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBIN;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetCUBINSize;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLog;
import static org.bytedeco.cuda.global.nvrtc.nvrtcGetProgramLogSize;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * Compiles one kernel source to machine code (a cubin) for the device's architecture with NVRTC, once per source and
 * build in a process (every model of one shape and precision shares them).
 */
final class Nvrtc {
    private static final Map<List<Object>, byte[]> COMPILED = new ConcurrentHashMap<>();

    private Nvrtc() {
    }

    /** The cubin of {@code sourceName} (one of {@link KernelBuild#SOURCES}) built with {@code build}'s options. */
    static byte[] compile(String sourceName, KernelBuild build) {
        return COMPILED.computeIfAbsent(List.of(sourceName, build), key -> compileNow(sourceName, build));
    }

    private static byte[] compileNow(String sourceName, KernelBuild build) {
        _nvrtcProgram program = new _nvrtcProgram();
        List<String> options = build.options();
        try (PointerPointer<BytePointer> headers = new PointerPointer<>(KernelBuild.source(KernelBuild.HEADER));
             PointerPointer<BytePointer> includeNames = new PointerPointer<>(KernelBuild.HEADER);
             PointerPointer<BytePointer> optionArray = new PointerPointer<>(options.toArray(String[]::new))) {
            Cuda.checkNvrtc(nvrtcCreateProgram(program, new BytePointer(KernelBuild.source(sourceName)),
                    new BytePointer(sourceName), 1, headers, includeNames), "nvrtcCreateProgram " + sourceName);
            try {
                int status = nvrtcCompileProgram(program, options.size(), optionArray);
                if (status != 0) {
                    throw new CudaException("NVRTC could not compile " + sourceName + " with " + options + ":\n" + log(program));
                }
                try (SizeTPointer size = new SizeTPointer(1)) {
                    Cuda.checkNvrtc(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
                    byte[] cubin = new byte[Math.toIntExact(size.get())];
                    Cuda.checkNvrtc(nvrtcGetCUBIN(program, cubin), "nvrtcGetCUBIN");
                    return cubin;
                }
            } finally {
                nvrtcDestroyProgram(program);
            }
        }
    }

    private static String log(_nvrtcProgram program) {
        try (SizeTPointer size = new SizeTPointer(1)) {
            if (nvrtcGetProgramLogSize(program, size) != 0) {
                return "(no log)";
            }
            byte[] text = new byte[Math.toIntExact(size.get())];
            nvrtcGetProgramLog(program, text);
            return new String(text, 0, Math.max(0, text.length - 1), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
