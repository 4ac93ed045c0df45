package dev.mmr.cuda;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.encoder.BenchmarkModels;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tensor scan as the device runs it, from the driver's own account of the loaded kernel: at most 128 registers a
 * thread and two blocks an SM at the released shapes' 197 tokens, which its register and shared-memory budgets are
 * drawn for (a block's shared memory a few hundred bytes over left 35M's TF32 build one block an SM); no local memory
 * in bf16, and in TF32 at most {@link #TF32_LOCAL_BYTES}: NVRTC 13.0.88 spills 24 bytes there (8 at the CIFAR-10
 * shape) where nvcc 13.0.88 ({@link KernelCompileTest}) and NVRTC 13.3 spill none, and TF32 ran at its fastest
 * measured with those bytes (docs/gpu.md). Part of the GPU run; skipped, saying so, elsewhere.
 */
class TensorScanResidencyTest {
    /** Local memory a TF32 build may use a thread: a few spilled registers, not a loop's working set. */
    static final int TF32_LOCAL_BYTES = 32;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"35M, TF32", "35M, BF16", "135M, TF32", "135M, BF16", "cifar, TF32", "cifar, BF16"})
    void twoBlocksAnSmAndNextToNoLocalMemory(String shape, Precision precision) {
        GpuTests.assumeGpu("TensorScanResidencyTest");
        ModelConfig config = BenchmarkModels.shape(shape, null, null);
        Cuda.check(cudaSetDevice(0), "cudaSetDevice");
        Cuda.check(cudaFree(null), "initialising the CUDA context");
        KernelBuild build = KernelBuild.of(config, CudaDevice.get().arch(), precision);
        LaunchGeometry geometry = LaunchGeometry.tensor(256, config.nTokens(), config.dInner(), config.headdim(), build.bf16());
        try (DeviceKernels kernels = new DeviceKernels(build)) {
            DeviceKernels.Residency r = kernels.residency(Kernel.SSD_TENSOR, geometry);
            System.out.printf("TensorScanResidencyTest ssd_tensor %s %s: %d registers, %d bytes local, %d bytes shared, "
                    + "%d blocks an SM%n", shape, precision, r.registers(), r.localBytes(), geometry.shared(), r.blocksPerSm());
            if (build.bf16()) {
                assertEquals(0, r.localBytes(), "local memory (spills or stack) a thread");
            } else {
                assertTrue(r.localBytes() <= TF32_LOCAL_BYTES, r.localBytes() + " bytes of local memory (spills or stack) a thread");
            }
            assertTrue(r.registers() <= 128, r.registers() + " registers");
            assertTrue(r.blocksPerSm() >= 2, r.blocksPerSm() + " blocks an SM");
        }
    }
}
