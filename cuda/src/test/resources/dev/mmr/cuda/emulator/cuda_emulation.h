// The CUDA C built-ins the kernels use, for running them unchanged on the CPU (emulator.cpp): every thread of a block
// is a fiber on one OS thread, blocks run one after another, and warp shuffles, __syncwarp and __syncthreads are
// barriers among the fibers of a warp or block. One-dimensional launches only, as LaunchGeometry makes them. The
// kernels' device-only primitives (inline PTX, dynamic shared memory; defined unless MMR_EMULATOR is) are defined here:
// the tensor-core products by the PTX ISA's fragment layouts, exchanging the warp's fragments like a shuffle, and the
// predicated 16-byte load.
#pragma once
#define MMR_EMULATOR

#include <math.h>
#include <stdint.h>
#include <string.h>

struct EmuDim {
    unsigned int x, y, z;
};

// Set by the scheduler before it resumes a thread's fiber.
extern EmuDim threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ __restrict
// Blocks run one after another, so one static per kernel serves each block in turn as its shared memory.
#define __shared__ static
#define __launch_bounds__(threads, blocks)

namespace emu {
// Barrier of the calling thread's warp / block; fails on a deadlock or a barrier some threads never reach.
void sync_warp(unsigned int mask);
void sync_block();
// The warp-wide exchange under every shuffle: publishes `bits` and returns the bits lane `from` published.
uint32_t shuffle(unsigned int mask, uint32_t bits, int from);
// The warp-wide exchange under the tensor-core products: publishes `words` words (at most 16) and fills all[lane][w]
// with what each lane published.
void gather(const uint32_t* mine, int words, uint32_t (*all)[16]);
// The running block's dynamic shared memory (the launch's size, fresh for each block and filled with a NaN pattern).
float* dynamic_shared();
// The calling thread's asynchronous copies: issued (from nullptr: zeros), then all done at its wait.
void copy_async(void* to, const void* from, size_t bytes);
void copy_async_wait();
[[noreturn]] void fail(const char* what);
}  // namespace emu

// CUDA's vector type of two floats, 8-byte aligned as on the GPU.
struct alignas(8) float2 {
    float x, y;
};

inline unsigned int __float_as_uint(float v) {
    unsigned int u;
    memcpy(&u, &v, sizeof u);
    return u;
}

inline float __uint_as_float(unsigned int u) {
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

inline void __syncwarp(unsigned int mask = 0xffffffffu) {
    emu::sync_warp(mask);
}

inline void __syncthreads() {
    emu::sync_block();
}

inline int emu_lane() {
    return (int) (threadIdx.x & 31u);
}

inline float __shfl_xor_sync(unsigned int mask, float v, int laneMask, int width = 32) {
    if (width != 32) {
        emu::fail("__shfl_xor_sync with a width other than 32 is not emulated");
    }
    return __uint_as_float(emu::shuffle(mask, __float_as_uint(v), emu_lane() ^ laneMask));
}

inline unsigned int __shfl_xor_sync(unsigned int mask, unsigned int v, int laneMask, int width = 32) {
    if (width != 32) {
        emu::fail("__shfl_xor_sync with a width other than 32 is not emulated");
    }
    return emu::shuffle(mask, v, emu_lane() ^ laneMask);
}

inline int __shfl_xor_sync(unsigned int mask, int v, int laneMask, int width = 32) {
    if (width != 32) {
        emu::fail("__shfl_xor_sync with a width other than 32 is not emulated");
    }
    return (int) emu::shuffle(mask, (uint32_t) v, emu_lane() ^ laneMask);
}

inline float __shfl_sync(unsigned int mask, float v, int srcLane, int width = 32) {
    if (width != 32) {
        emu::fail("__shfl_sync with a width other than 32 is not emulated");
    }
    return __uint_as_float(emu::shuffle(mask, __float_as_uint(v), srcLane & 31));
}

inline float __shfl_up_sync(unsigned int mask, float v, unsigned int delta, int width = 32) {
    if (width != 32) {
        emu::fail("__shfl_up_sync with a width other than 32 is not emulated");
    }
    int from = emu_lane() - (int) delta;
    return __uint_as_float(emu::shuffle(mask, __float_as_uint(v), from >= 0 ? from : emu_lane()));
}

inline float __shfl_down_sync(unsigned int mask, float v, unsigned int delta, int width = 32) {
    if (width != 32) {
        emu::fail("__shfl_down_sync with a width other than 32 is not emulated");
    }
    int from = emu_lane() + (int) delta;
    return __uint_as_float(emu::shuffle(mask, __float_as_uint(v), from < 32 ? from : emu_lane()));
}

inline float __expf(float v) {
    return expf(v);
}

// tanh.approx.f32 at the worst of its error bound, |tanh v| 2^-11 too large, so that the bf16 kernels' SiLU (common.cuh)
// is tested with every error on one side, as no GPU rounds them.
inline float tanh_approx(float v) {
    return tanhf(v) * (1.0f + 0x1p-11f);
}

inline float __logf(float v) {
    return logf(v);
}

inline float rsqrtf(float v) {
    return 1.0f / sqrtf(v);
}

inline float __fdividef(float a, float b) {
    return a / b;
}

inline float* dynamic_shared() {
    return emu::dynamic_shared();
}

// cp.async of a word of T (4, 8 or 16 bytes) from global to shared memory, or of zeros where not `load`: the copy lands
// when the thread waits (copy_async_wait), the latest a GPU may complete it, so a thread that reads the word before
// then, or before the __syncwarp or barrier after another thread's wait, reads the NaN pattern; a thread that ends with
// copies not waited for fails. Both addresses must be aligned to the word, as on the GPU.
template <typename T> inline void copy_async(T* to, const T* from, bool load) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8 || sizeof(T) == 16, "cp.async copies 4, 8 or 16 bytes");
    if ((uintptr_t) to % sizeof(T) != 0 || (load && (uintptr_t) from % sizeof(T) != 0)) {
        emu::fail("an asynchronous copy between addresses not aligned to its word");
    }
    emu::copy_async(to, load ? from : nullptr, sizeof(T));
}

inline void copy_async_wait() {
    emu::copy_async_wait();
}

// common.cuh's 16-byte word of four floats (x, y, z, w), complete where a kernel calls load_rows4_if.
struct Floats4;

// The predicated 16-byte load (@p ld.global.nc.v4.f32): the four floats at p, which must be 16-byte aligned, where
// `load`; else nothing is read and the word holds NaNs (a GPU leaves whatever its registers held), so a kernel whose
// stored results depend on such values fails its comparisons.
template <typename Word = Floats4> inline Word load_rows4_if(bool load, const float* p) {
    Word w;
    if (load) {
        if ((uintptr_t) p % 16 != 0) {
            emu::fail("a 16-byte load from an address that is not 16-byte aligned");
        }
        memcpy(&w, p, sizeof w);
    } else {
        memset(&w, 0xFF, sizeof w);
    }
    return w;
}

// d += A . B as mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32: lane l (g = l / 4, q = l % 4) holds A's rows g
// (a0, a2) and g + 8 (a1, a3) at columns 2q, 2q + 1 (a0, a1) and 2q + 8, 2q + 9 (a2, a3), the lower column in the low
// half; B's column g at rows 2q, 2q + 1 (b0) and 2q + 8, 2q + 9 (b1); D's rows g (d0, d1) and g + 8 (d2, d3) at
// columns 2q, 2q + 1. Products of bfloat16 values are exact in float32; sums in k order.
inline void mma_bf16_m16n8k16(float (&d)[4], unsigned int a0, unsigned int a1, unsigned int a2, unsigned int a3,
                              unsigned int b0, unsigned int b1) {
    const uint32_t mine[6] = {a0, a1, a2, a3, b0, b1};
    uint32_t all[32][16];
    emu::gather(mine, 6, all);
    auto half = [](uint32_t word, int upper) { return __uint_as_float((upper ? word >> 16 : word & 0xFFFFu) << 16); };
    const int g = emu_lane() / 4, q = emu_lane() % 4;
    for (int v = 0; v < 4; v++) {
        const int row = g + 8 * (v >> 1), col = 2 * q + (v & 1);
        float sum = d[v];
        for (int k = 0; k < 16; k++) {
            const float a = half(all[(row % 8) * 4 + (k % 8) / 2][(row >= 8) + 2 * (k >= 8)], k % 2);
            const float b = half(all[col * 4 + (k % 8) / 2][4 + (k >= 8)], k % 2);
            sum = fmaf(a, b, sum);
        }
        d[v] = sum;
    }
}

// d += A . B as mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32: lane l holds A's rows g (a0, a2) and g + 8 (a1,
// a3) at columns q (a0, a1) and q + 4 (a2, a3); B's column g at rows q (b0) and q + 4 (b1); D as for bf16. The low 13
// bits of a TF32 operand are ignored.
inline void mma_tf32_m16n8k8(float (&d)[4], unsigned int a0, unsigned int a1, unsigned int a2, unsigned int a3,
                             unsigned int b0, unsigned int b1) {
    const uint32_t mine[6] = {a0, a1, a2, a3, b0, b1};
    uint32_t all[32][16];
    emu::gather(mine, 6, all);
    auto tf32 = [](uint32_t word) { return __uint_as_float(word & 0xFFFFE000u); };
    const int g = emu_lane() / 4, q = emu_lane() % 4;
    for (int v = 0; v < 4; v++) {
        const int row = g + 8 * (v >> 1), col = 2 * q + (v & 1);
        float sum = d[v];
        for (int k = 0; k < 8; k++) {
            const float a = tf32(all[(row % 8) * 4 + k % 4][(row >= 8) + 2 * (k >= 4)]);
            const float b = tf32(all[col * 4 + k % 4][4 + (k >= 4)]);
            sum = fmaf(a, b, sum);
        }
        d[v] = sum;
    }
}
