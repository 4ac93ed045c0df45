// The CUDA C built-ins the kernels use, for running them unchanged on the CPU (emulator.cpp): every thread of a block
// is a fiber on one OS thread, blocks run one after another, and warp shuffles, __syncwarp and __syncthreads are
// barriers among the fibers of a warp or block. One-dimensional launches only, as LaunchGeometry makes them.
#pragma once

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

namespace emu {
// Barrier of the calling thread's warp / block; fails on a deadlock or a barrier some threads never reach.
void sync_warp(unsigned int mask);
void sync_block();
// The warp-wide exchange under every shuffle: publishes `bits` and returns the bits lane `from` published.
uint32_t shuffle(unsigned int mask, uint32_t bits, int from);
[[noreturn]] void fail(const char* what);
}  // namespace emu

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

inline float __logf(float v) {
    return logf(v);
}

inline float rsqrtf(float v) {
    return 1.0f / sqrtf(v);
}

inline float __fdividef(float a, float b) {
    return a / b;
}
