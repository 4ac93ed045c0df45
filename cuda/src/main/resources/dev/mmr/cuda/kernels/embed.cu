// Patch embedding, LayerNorms and the classifier bias: the row-wise steps around the mixers.
// All matrices are row-major; a "row" is one token of one image (batch * L rows, L = T patches + 1 [CLS]).
#include "common.cuh"

// pixels (batch, 3, S, S) -> patches (batch * T, 3 * p * p), ordered (channel, ky, kx) like the conv weight. The
// pixels arrive in the product precision (rounded on the host in bf16 mode: half the bytes to copy in).
// One thread per patch element.
extern "C" __global__ void im2col(const act_t* __restrict__ pixels, act_t* __restrict__ patches,
                                  int batch, int imageSize, int patch) {
    int side = imageSize / patch;
    int t = side * side;
    int k = 3 * patch * patch;
    long long i = thread_index();
    if (i >= (long long) batch * t * k) {
        return;
    }
    long long row = i / k;
    int col = (int) (i % k);
    int b = (int) (row / t);
    int g = (int) (row % t);
    int c = col / (patch * patch);
    int ky = (col / patch) % patch;
    int kx = col % patch;
    int y = (g / side) * patch + ky;
    int x = (g % side) * patch + kx;
    patches[i] = pixels[(((long long) b * 3 + c) * imageSize + y) * imageSize + x];
}

// The first residual stream (batch * L, D): projected patches + conv bias + position, then the [CLS] token last.
// One thread per element.
extern "C" __global__ void embed_tokens(const float* __restrict__ projected, const float* __restrict__ bias,
                                        const float* __restrict__ cls, const float* __restrict__ pos,
                                        float* __restrict__ residual, int batch, int patches, int d) {
    int l = patches + 1;
    long long i = thread_index();
    if (i >= (long long) batch * l * d) {
        return;
    }
    int c = (int) (i % d);
    long long row = i / d;
    int b = (int) (row / l);
    int tok = (int) (row % l);
    float v = tok < patches ? projected[((long long) b * patches + tok) * d + c] + bias[c] : cls[c];
    residual[i] = v + pos[(long long) tok * d + c];
}

// Values of a row each lane keeps in registers: lane l holds the four columns from 4 (l + 32 k), k < MMR_ROW_QUADS,
// read and written as 16-byte words (d_model is a multiple of 64, KernelBuild, so every row and quad is 16-byte
// aligned), so rows are at most 128 * MMR_ROW_QUADS wide (KernelBuild refuses wider models). Loads of 16 bytes keep
// more of a row in flight per instruction than a lane's one float a load, for these kernels that only move memory.
#define MMR_ROW_QUADS 8

// The first column of a lane's k-th quad.
__device__ __forceinline__ int quad_column(int k) {
    return 4 * (lane() + 32 * k);
}

__device__ __forceinline__ Floats4 load_quad(const float* p) {
    return *(const Floats4*) p;
}

// a * f + b, a column at a time.
__device__ __forceinline__ Floats4 fma_quad(const Floats4& a, float f, const Floats4& b) {
    return Floats4{fmaf(a.x, f, b.x), fmaf(a.y, f, b.y), fmaf(a.z, f, b.z), fmaf(a.w, f, b.w)};
}

// A quad of LayerNorm outputs, as one 16-byte word of floats or one 8-byte word of bfloat16 pairs.
__device__ __forceinline__ void store_quad(float* at, const Floats4& v) {
    *(Floats4*) at = v;
}

__device__ __forceinline__ void store_quad(unsigned short* at, const Floats4& v) {
    *(Words2*) at = Words2{pack_bf16(v.x, v.y), pack_bf16(v.z, v.w)};
}

// LayerNorm of a row of width d whose values the warp holds in registers (v, as above), written to `out` (float or
// act_t). Each lane sums its quads in order, each quad's four columns first.
template <typename T>
__device__ __forceinline__ void layer_norm_row(const Floats4 (&v)[MMR_ROW_QUADS], T* out, const float* gain,
                                               const float* bias, int d, float eps) {
    float sum = 0.0f;
#pragma unroll
    for (int k = 0; k < MMR_ROW_QUADS; k++) {
        if (quad_column(k) < d) {
            sum += v[k].x + v[k].y + v[k].z + v[k].w;
        }
    }
    const float mean = warp_sum(sum) / d;
    float var = 0.0f;
#pragma unroll
    for (int k = 0; k < MMR_ROW_QUADS; k++) {
        if (quad_column(k) < d) {
            const float x = v[k].x - mean, y = v[k].y - mean, z = v[k].z - mean, w = v[k].w - mean;
            var += x * x + y * y + z * z + w * w;
        }
    }
    const float inv = 1.0f / sqrtf(warp_sum(var) / d + eps);
#pragma unroll
    for (int k = 0; k < MMR_ROW_QUADS; k++) {
        const int c = quad_column(k);
        if (c < d) {
            const Floats4 g = load_quad(gain + c);
            const Floats4 b = load_quad(bias + c);
            store_quad(out + c, Floats4{(v[k].x - mean) * inv * g.x + b.x, (v[k].y - mean) * inv * g.y + b.y,
                                        (v[k].z - mean) * inv * g.z + b.z, (v[k].w - mean) * inv * g.w + b.w});
        }
    }
}

// The gated RMSNorm's factor for one row: 1 / sqrt(mean of gated^2 over its di channels + eps), from the `groups`
// per-warp sums ssm_scan left at `squares`. Warp-wide; every lane gets it.
__device__ __forceinline__ float gate_norm(const float* squares, int groups, int di, float eps) {
    float sum = 0.0f;
    for (int g = lane(); g < groups; g += 32) {
        sum += squares[g];
    }
    return 1.0f / sqrtf(warp_sum(sum) / di + eps);
}

// residual += hidden * the previous mixer's gate norm factor (unless first), then u = LayerNorm(residual). hidden is
// out_proj's output from the unnormalised gate (the norm's weight is in out_proj's columns), so the row's factor is
// applied here. One warp per row, held in registers: read and written once.
extern "C" __global__ void add_layer_norm(float* __restrict__ residual, const float* __restrict__ hidden,
                                          const float* __restrict__ squares, int squaresStride, int groups, int di,
                                          act_t* __restrict__ u, const float* __restrict__ gain,
                                          const float* __restrict__ bias, int rows, int d, float eps, float gateEps,
                                          int first) {
    long long row = warp_index();
    if (row >= rows) {
        return;
    }
    float* r = residual + row * d;
    const float* h = hidden + row * d;
    const float factor = first ? 0.0f : gate_norm(squares + row * squaresStride, groups, di, gateEps);
    Floats4 v[MMR_ROW_QUADS];
#pragma unroll
    for (int k = 0; k < MMR_ROW_QUADS; k++) {
        const int c = quad_column(k);
        if (c < d) {
            v[k] = load_quad(r + c);
            if (!first) {
                v[k] = fma_quad(load_quad(h + c), factor, v[k]);
                store_quad(r + c, v[k]);
            }
        }
    }
    layer_norm_row(v, u + row * d, gain, bias, d, eps);
}

// After the last layer: features = norm_f(residual + hidden * its gate norm factor) at each image's [CLS] token (its
// last row). One warp per image; `sum` (batch, D) receives the sums of those rows.
extern "C" __global__ void final_norm(const float* __restrict__ residual, const float* __restrict__ hidden,
                                      const float* __restrict__ squares, int squaresStride, int groups, int di,
                                      float* __restrict__ sum, float* __restrict__ features,
                                      const float* __restrict__ gain, const float* __restrict__ bias, int batch,
                                      int tokens, int d, float eps, float gateEps) {
    long long b = warp_index();
    if (b >= batch) {
        return;
    }
    long long row = (b + 1) * tokens - 1;
    float factor = gate_norm(squares + row * squaresStride, groups, di, gateEps);
    float* s = sum + b * d;
    Floats4 v[MMR_ROW_QUADS];
#pragma unroll
    for (int k = 0; k < MMR_ROW_QUADS; k++) {
        const int c = quad_column(k);
        if (c < d) {
            v[k] = fma_quad(load_quad(hidden + row * d + c), factor, load_quad(residual + row * d + c));
            store_quad(s + c, v[k]);
        }
    }
    layer_norm_row(v, features + b * d, gain, bias, d, eps);
}

// m[r][c] += bias[c] for a (rows, cols) matrix. One thread per element.
extern "C" __global__ void add_bias(float* __restrict__ m, const float* __restrict__ bias, int rows, int cols) {
    long long i = thread_index();
    if (i < (long long) rows * cols) {
        m[i] += bias[i % cols];
    }
}
