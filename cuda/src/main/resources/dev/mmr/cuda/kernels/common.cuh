// Shared helpers of the MatMamba-Vision kernels. act_t is the element type of the activations that feed a cuBLAS
// product or come out of in_proj's: float (fp32, tf32 modes) or the raw bits of a bfloat16 when compiled with
// -DMMR_BF16 (bf16 mode). Everything else (residual stream, scan state, norms) is float32.
#pragma once

// float32 -> the bits of a bfloat16, rounded to nearest even (inputs are finite).
__device__ __forceinline__ unsigned short bf16_bits(float v) {
    unsigned int u = __float_as_uint(v);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (unsigned short) (u >> 16);
}

// Two float32 values as the bits of two bfloat16 (lo in the low half), each rounded to nearest even: one cvt.rn.bf16x2
// on the GPU (sm_80 and newer) where two bf16_bits took some eight instructions each; the CPU emulator (test code)
// rounds the same way in C.
#ifdef MMR_EMULATOR
__device__ __forceinline__ unsigned int pack_bf16(float lo, float hi) {
    return (unsigned int) bf16_bits(lo) | ((unsigned int) bf16_bits(hi) << 16);
}
#else
__device__ __forceinline__ unsigned int pack_bf16(float lo, float hi) {
    unsigned int packed;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(packed) : "f"(hi), "f"(lo));
    return packed;
}
#endif

#ifndef MMR_EMULATOR
// tanh.approx.f32: one special-function operation, within 2^-11 of |tanh v|.
__device__ __forceinline__ float tanh_approx(float v) {
    float t;
    asm("tanh.approx.f32 %0, %1;" : "=f"(t) : "f"(v));
    return t;
}
#endif

// Four floats as one 16-byte word (four state rows' B or C values, four columns of a row): one load or store where it is
// 16-byte aligned. Own types, so the sources need no CUDA headers under NVRTC.
struct alignas(16) Floats4 {
    float x, y, z, w;
};

// Two 32-bit words as one 8-byte word (four bfloat16 values): one store where it is 8-byte aligned.
struct alignas(8) Words2 {
    unsigned int lo, hi;
};

#ifdef MMR_BF16
typedef unsigned short act_t;
#else
typedef float act_t;
#endif

__device__ __forceinline__ act_t to_act(float v) {
#ifdef MMR_BF16
    return bf16_bits(v);
#else
    return v;
#endif
}

// An activation as float32: a bfloat16's bits widened (exact), or the float itself.
__device__ __forceinline__ float act_value(act_t v) {
#ifdef MMR_BF16
    return __uint_as_float((unsigned int) v << 16);
#else
    return v;
#endif
}

// Two adjacent activations as one aligned word (4 bytes in bf16 mode, 8 otherwise), so that a warp's loads and stores
// fill more of each memory sector; `at` must be an even index into a buffer of even rows (ActPair-aligned).
struct alignas(2 * sizeof(act_t)) ActPair {
    act_t v[2];
};

__device__ __forceinline__ void load_act_pair(const act_t* at, float& first, float& second) {
    const ActPair pair = *(const ActPair*) at;
    first = act_value(pair.v[0]);
    second = act_value(pair.v[1]);
}

__device__ __forceinline__ void store_act_pair(act_t* at, float first, float second) {
#ifdef MMR_BF16
    *(unsigned int*) at = pack_bf16(first, second);
#else
    ActPair pair;
    pair.v[0] = first;
    pair.v[1] = second;
    *(ActPair*) at = pair;
#endif
}

#ifdef MMR_BF16
// bf16 builds: SiLU(v) = v/2 (1 + tanh(v/2)), one tanh.approx where the exponential and the division take two of the
// GPU's special-function operations. tanh.approx's error, within 2^-11 of |tanh| (the CPU emulator, test code, takes
// that bound at its worst), is an eighth of a bfloat16's rounding where v > 0; where v < 0 SiLU's absolute error stays
// below |v| 2^-12, near its value's size only where that value is below |v| e^-8 or so.
__device__ __forceinline__ float silu(float v) {
    const float half = 0.5f * v;
    return fmaf(half, tanh_approx(half), half);
}
#else
// SiLU with the fast exponential and division (a few ulp; the division's 0 for v below about -87 is SiLU's limit).
__device__ __forceinline__ float silu(float v) {
    return __fdividef(v, 1.0f + __expf(-v));
}
#endif

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

// The global index of this thread in a 1-D launch.
__device__ __forceinline__ long long thread_index() {
    return (long long) blockIdx.x * blockDim.x + threadIdx.x;
}

// The global index of this thread's warp in a 1-D launch, and its lane.
__device__ __forceinline__ long long warp_index() {
    return thread_index() >> 5;
}

__device__ __forceinline__ int lane() {
    return threadIdx.x & 31;
}
