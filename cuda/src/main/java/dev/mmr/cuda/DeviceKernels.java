package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;

/** The kernels compiled by NVRTC for one model and precision, loaded into the current context. */
final class DeviceKernels implements AutoCloseable {
    private final List<CUmod_st> modules = new ArrayList<>();
    private final Map<Kernel, CUfunc_st> functions = new EnumMap<>(Kernel.class);
    private final Map<Kernel, String> signatures = new EnumMap<>(Kernel.class);

    DeviceKernels(KernelBuild build) {
        try {
            for (String source : KernelBuild.SOURCES) {
                CUmod_st module = new CUmod_st();
                try (BytePointer image = new BytePointer(Nvrtc.compile(source, build))) {
                    Cuda.checkDriver(cuModuleLoadData(module, image), "cuModuleLoadData " + source);
                }
                modules.add(module);
                for (Kernel k : Kernel.values()) {
                    if (k.source.equals(source)) {
                        CUfunc_st function = new CUfunc_st();
                        Cuda.checkDriver(cuModuleGetFunction(function, module, k.symbol), "cuModuleGetFunction " + k.symbol);
                        functions.put(k, function);
                        signatures.put(k, KernelSignature.of(k));
                    }
                }
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Queues {@code kernel} on {@code stream} with the arguments {@code args} holds. */
    void launch(Kernel kernel, LaunchGeometry geometry, CUstream_st stream, KernelArgs args) {
        if (!args.kinds().equals(signatures.get(kernel))) {
            throw new IllegalStateException(kernel.symbol + " takes (" + signatures.get(kernel) + "), given (" + args.kinds() + ")");
        }
        Cuda.checkDriver(cuLaunchKernel(functions.get(kernel), geometry.grid(), 1, 1, geometry.block(), 1, 1, 0, stream,
                args.params(), (PointerPointer<?>) null), "cuLaunchKernel " + kernel.symbol);
    }

    @Override public void close() {
        for (CUmod_st module : modules) {
            cuModuleUnload(module);
        }
        modules.clear();
    }
}
