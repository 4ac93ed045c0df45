package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cudart.CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES;
import static org.bytedeco.cuda.global.cudart.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES;
import static org.bytedeco.cuda.global.cudart.CU_FUNC_ATTRIBUTE_NUM_REGS;
import static org.bytedeco.cuda.global.cudart.cuFuncGetAttribute;
import static org.bytedeco.cuda.global.cudart.cuFuncSetAttribute;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cuModuleGetFunction;
import static org.bytedeco.cuda.global.cudart.cuModuleLoadData;
import static org.bytedeco.cuda.global.cudart.cuModuleUnload;
import static org.bytedeco.cuda.global.cudart.cuOccupancyMaxActiveBlocksPerMultiprocessor;

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
    /** Dynamic shared memory a launch gets without asking. */
    private static final int DEFAULT_SHARED = 48 * 1024;

    private final List<CUmod_st> modules = new ArrayList<>();
    private final Map<Kernel, CUfunc_st> functions = new EnumMap<>(Kernel.class);
    private final Map<Kernel, String> signatures = new EnumMap<>(Kernel.class);
    /** The dynamic shared memory each kernel has been allowed beyond the default 48 KB. */
    private final Map<Kernel, Integer> sharedAllowed = new EnumMap<>(Kernel.class);

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
        allowShared(kernel, geometry.shared());
        Cuda.checkDriver(cuLaunchKernel(functions.get(kernel), geometry.grid(), 1, 1, geometry.block(), 1, 1,
                geometry.shared(), stream, args.params(), (PointerPointer<?>) null), "cuLaunchKernel " + kernel.symbol);
    }

    /**
     * What the device made of a kernel: registers and local memory (spills and stack) a thread, and the blocks of a
     * launch's geometry that one SM holds at once.
     */
    record Residency(int registers, int localBytes, int blocksPerSm) {
    }

    /** The {@link Residency} of {@code kernel} launched as {@code geometry}, as the driver reports it. */
    Residency residency(Kernel kernel, LaunchGeometry geometry) {
        CUfunc_st function = functions.get(kernel);
        allowShared(kernel, geometry.shared());
        int[] registers = new int[1];
        int[] local = new int[1];
        int[] blocks = new int[1];
        Cuda.checkDriver(cuFuncGetAttribute(registers, CU_FUNC_ATTRIBUTE_NUM_REGS, function), "cuFuncGetAttribute registers");
        Cuda.checkDriver(cuFuncGetAttribute(local, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, function), "cuFuncGetAttribute local");
        Cuda.checkDriver(cuOccupancyMaxActiveBlocksPerMultiprocessor(blocks, function, geometry.block(), geometry.shared()),
                "cuOccupancyMaxActiveBlocksPerMultiprocessor " + kernel.symbol);
        return new Residency(registers[0], local[0], blocks[0]);
    }

    /** Lets {@code kernel} launch with {@code bytes} of dynamic shared memory (above 48 KB it must be asked for). */
    private void allowShared(Kernel kernel, int bytes) {
        if (bytes <= DEFAULT_SHARED) {
            return;
        }
        synchronized (sharedAllowed) {
            if (sharedAllowed.getOrDefault(kernel, DEFAULT_SHARED) < bytes) {
                Cuda.checkDriver(cuFuncSetAttribute(functions.get(kernel), CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes),
                        "cuFuncSetAttribute " + kernel.symbol + " " + bytes + " bytes of shared memory");
                sharedAllowed.put(kernel, bytes);
            }
        }
    }

    @Override public void close() {
        for (CUmod_st module : modules) {
            cuModuleUnload(module);
        }
        modules.clear();
    }
}
