// Patch embedding, LayerNorms and the classifier bias: the row-wise steps around the mixers.
// All matrices are row-major; a "row" is one token of one image (batch * L rows, L = T patches + 1 [CLS]).
#include "common.cuh"

// pixels (batch, 3, S, S) -> patches (batch * T, 3 * p * p), ordered (channel, ky, kx) like the conv weight.
// One thread per patch element.
extern "C" __global__ void im2col(const float* __restrict__ pixels, act_t* __restrict__ patches,
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
    patches[i] = to_act(pixels[(((long long) b * 3 + c) * imageSize + y) * imageSize + x]);
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

// LayerNorm of one row of width d held at `in`, written to `out` (float or act_t), one warp per row.
template <typename T>
__device__ __forceinline__ void layer_norm_row(const float* in, T* out, const float* gain, const float* bias,
                                               int d, float eps) {
    float sum = 0.0f;
    for (int c = lane(); c < d; c += 32) {
        sum += in[c];
    }
    float mean = warp_sum(sum) / d;
    float var = 0.0f;
    for (int c = lane(); c < d; c += 32) {
        float v = in[c] - mean;
        var += v * v;
    }
    float inv = 1.0f / sqrtf(warp_sum(var) / d + eps);
    for (int c = lane(); c < d; c += 32) {
        out[c] = from_float<T>((in[c] - mean) * inv * gain[c] + bias[c]);
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
// applied here. One warp per row.
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
    if (!first) {
        float factor = gate_norm(squares + row * squaresStride, groups, di, gateEps);
        const float* h = hidden + row * d;
        for (int c = lane(); c < d; c += 32) {
            r[c] = fmaf(h[c], factor, r[c]);
        }
        __syncwarp();
    }
    layer_norm_row(r, u + row * d, gain, bias, d, eps);
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
    for (int c = lane(); c < d; c += 32) {
        s[c] = fmaf(hidden[row * d + c], factor, residual[row * d + c]);
    }
    __syncwarp();
    layer_norm_row(s, features + b * d, gain, bias, d, eps);
}

// m[r][c] += bias[c] for a (rows, cols) matrix. One thread per element.
extern "C" __global__ void add_bias(float* __restrict__ m, const float* __restrict__ bias, int rows, int cols) {
    long long i = thread_index();
    if (i < (long long) rows * cols) {
        m[i] += bias[i % cols];
    }
}
