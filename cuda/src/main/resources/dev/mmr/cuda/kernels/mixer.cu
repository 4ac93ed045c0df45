// The Mamba2 mixer's steps between its two products, at a nested width: the causal depthwise convolution + SiLU,
// the selective scan, and the gated RMSNorm. Row-major; a row is one token of one image (L tokens per image).
// The scan is specialised at compile time for the model: MMR_STATE_PER_LANE = ceil(d_state / 32) state rows per
// lane, MMR_SCAN_CHANNELS = channels of one head that one warp carries (a divisor of headdim).
#include "common.cuh"

#ifndef MMR_STATE_PER_LANE
#error "compile with -DMMR_STATE_PER_LANE=<ceil(d_state / 32)>"
#endif
#ifndef MMR_SCAN_CHANNELS
#error "compile with -DMMR_SCAN_CHANNELS=<channels per warp, a divisor of headdim>"
#endif

// out[row][c] = SiLU(bias[convCol + c] + sum_k in[row - taps + 1 + k][c] * weight[convCol + c][k]) for the
// `channels` channels starting at column 0 of `in` (inStride floats a row), zero-padded before each image's first
// token. weight is the conv1d weight as stored, (conv channels, taps). One thread per output element.
extern "C" __global__ void conv_silu(const float* __restrict__ in, int inStride, float* __restrict__ out,
                                     int channels, const float* __restrict__ weight, const float* __restrict__ bias,
                                     int convCol, int taps, int tokens, int rows) {
    long long i = thread_index();
    if (i >= (long long) rows * channels) {
        return;
    }
    int c = (int) (i % channels);
    long long row = i / channels;
    int t = (int) (row % tokens);
    const float* w = weight + (long long) (convCol + c) * taps;
    float acc = bias[convCol + c];
    for (int k = t < taps - 1 ? taps - 1 - t : 0; k < taps; k++) {
        acc = fmaf(in[(row - taps + 1 + k) * inStride + c], w[k], acc);
    }
    out[i] = silu(acc);
}

// One round of warp_sum_scatter: lanes whose OFFSET bit is set keep channels [HALF, 2 HALF) of v[0, 2 HALF), the
// others channels [0, HALF); each adds its partner's values of the kept channels into v[0, HALF). Then the next round.
template <int HALF, int OFFSET, int K>
__device__ __forceinline__ void exchange_halves(float (&v)[K], int l) {
    const bool upper = (l & OFFSET) != 0;
#pragma unroll
    for (int j = 0; j < HALF; j++) {
        float send = upper ? v[j] : v[j + HALF];
        float keep = upper ? v[j + HALF] : v[j];
        v[j] = keep + __shfl_xor_sync(0xffffffffu, send, OFFSET);
    }
    if constexpr (HALF > 1) {
        exchange_halves<HALF / 2, OFFSET / 2>(v, l);
    }
}

// Sums v[p] over the warp for each of the K channels p (K a power of two, at most 32) with K - 1 + 5 - log2(K)
// shuffles instead of 5 K: each round, a lane keeps half of its channels and hands the other half to its partner.
// Lane l ends holding, in v[0], the total of channel scattered_channel<K>(l).
template <int K>
__device__ __forceinline__ float warp_sum_scatter(float (&v)[K]) {
    if constexpr (K > 1) {
        exchange_halves<K / 2, 16>(v, lane());
    }
#pragma unroll
    for (int offset = 16 / K; offset >= 1; offset /= 2) {
        v[0] += __shfl_xor_sync(0xffffffffu, v[0], offset);
    }
    return v[0];
}

// The channel whose total warp_sum_scatter<K> leaves in lane l: bit 4 of l picks the upper K/2 channels, bit 3 the
// upper K/4 of those, and so on (lanes differing only in bits below 32 / K agree).
template <int K>
__device__ __forceinline__ int scattered_channel(int l) {
    int p = 0;
#pragma unroll
    for (int half = K / 2, offset = 16; half >= 1; half /= 2, offset /= 2) {
        p += (l & offset) ? half : 0;
    }
    return p;
}

// The selective scan over each image's tokens: per head j, state S (headdim x N),
//   dt_t = softplus(raw_t + dtBias_j) (identity above 20),  S_t = exp(dt_t * A_j) * S_{t-1} + dt_t * x_t (outer) B_t,
//   y_t = S_t . C_t + skip_j * x_t.
// x and y are (rows, di); bc is (rows, 2N): B then C; raw dt of head j is bcdt[row * bcdtStride + 2N + j].
// One warp per (image, group of MMR_SCAN_CHANNELS channels of one head); lane l holds state rows l, l + 32, ... of
// those channels; the sums over the state rows end scattered over the lanes (warp_sum_scatter), one store per channel.
extern "C" __global__ void ssm_scan(const float* __restrict__ x, float* __restrict__ y,
                                    const float* __restrict__ bc, const float* __restrict__ bcdt, int bcdtStride,
                                    const float* __restrict__ dtBias, const float* __restrict__ a,
                                    const float* __restrict__ skip, int batch, int tokens, int di, int headdim,
                                    int n) {
    const int groupsPerImage = di / MMR_SCAN_CHANNELS;
    long long w = warp_index();
    if (w >= (long long) batch * groupsPerImage) {
        return;
    }
    int b = (int) (w / groupsPerImage);
    int c0 = (int) (w % groupsPerImage) * MMR_SCAN_CHANNELS;
    int head = c0 / headdim;
    float bias = dtBias[head];
    float aj = a[head];
    float dj = skip[head];
    float state[MMR_STATE_PER_LANE][MMR_SCAN_CHANNELS];
#pragma unroll
    for (int k = 0; k < MMR_STATE_PER_LANE; k++) {
#pragma unroll
        for (int p = 0; p < MMR_SCAN_CHANNELS; p++) {
            state[k][p] = 0.0f;
        }
    }
    for (int t = 0; t < tokens; t++) {
        long long row = (long long) b * tokens + t;
        float raw = bcdt[row * bcdtStride + 2 * n + head] + bias;
        float step = raw > 20.0f ? raw : log1pf(expf(raw));
        float decay = expf(step * aj);
        const float* xr = x + row * di + c0;
        float xv[MMR_SCAN_CHANNELS];
        float partial[MMR_SCAN_CHANNELS];
#pragma unroll
        for (int p = 0; p < MMR_SCAN_CHANNELS; p++) {
            xv[p] = xr[p];
            partial[p] = 0.0f;
        }
        const float* br = bc + row * 2 * n;
#pragma unroll
        for (int k = 0; k < MMR_STATE_PER_LANE; k++) {
            int i = lane() + 32 * k;
            if (i < n) {
                float db = step * br[i];
                float ci = br[n + i];
#pragma unroll
                for (int p = 0; p < MMR_SCAN_CHANNELS; p++) {
                    float s = fmaf(xv[p], db, state[k][p] * decay);
                    state[k][p] = s;
                    partial[p] = fmaf(s, ci, partial[p]);
                }
            }
        }
        // The skip term joins lane 0's partial sums, so each channel's total is y.
        if (lane() == 0) {
#pragma unroll
            for (int p = 0; p < MMR_SCAN_CHANNELS; p++) {
                partial[p] = fmaf(dj, xv[p], partial[p]);
            }
        }
        float* yr = y + row * di + c0;
        if constexpr ((MMR_SCAN_CHANNELS & (MMR_SCAN_CHANNELS - 1)) == 0) {
            float total = warp_sum_scatter<MMR_SCAN_CHANNELS>(partial);
            if ((lane() & (32 / MMR_SCAN_CHANNELS - 1)) == 0) {
                yr[scattered_channel<MMR_SCAN_CHANNELS>(lane())] = total;
            }
        } else {
#pragma unroll
            for (int p = 0; p < MMR_SCAN_CHANNELS; p++) {
                float total = warp_sum(partial[p]);
                if (lane() == p) {
                    yr[p] = total;
                }
            }
        }
    }
}

// Gated RMSNorm: out = RMSNorm(y * SiLU(z)) * weight over the di channels of each row (weight's first di), as
// act_t for the out_proj product. One warp per row.
extern "C" __global__ void gate_rms_norm(const float* __restrict__ y, const float* __restrict__ z,
                                         act_t* __restrict__ out, const float* __restrict__ weight, int rows,
                                         int di, float eps) {
    long long row = warp_index();
    if (row >= rows) {
        return;
    }
    const float* yr = y + row * di;
    const float* zr = z + row * di;
    float ss = 0.0f;
    for (int c = lane(); c < di; c += 32) {
        float g = yr[c] * silu(zr[c]);
        ss += g * g;
    }
    float inv = 1.0f / sqrtf(warp_sum(ss) / di + eps);
    act_t* o = out + row * di;
    for (int c = lane(); c < di; c += 32) {
        o[c] = to_act(yr[c] * silu(zr[c]) * inv * weight[c]);
    }
}
