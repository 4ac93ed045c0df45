// The Mamba2 mixer's steps between its products, at a nested width. Row-major; a row is one token of one image (L
// tokens per image, zero-padded before each image's first token for the causal convolution). The in_proj product's
// row (`in`, `inStride` activations: act_t, bfloat16 in bf16 builds) holds B (N), C (N), then for each head its z
// (headdim), x (headdim) and raw dt (1).
//   conv_bc_dt: B and C through the causal depthwise convolution + SiLU, and each head's step dt = softplus(raw + bias)
//               (identity above 20) with its decay exp(dt * A), which all the head's channels share;
//   ssm_scan:   x through the convolution + SiLU, the selective scan, the skip, and the gate y * SiLU(z), written for
//               out_proj, with each warp's sum of squared gate outputs for the RMSNorm (applied by add_layer_norm,
//               which knows the row's total; the norm's weight is folded into out_proj's columns).
// The same scan in the SSD chunk (quadratic) form, an image's tokens being one chunk, without materialising its
// weights, after a strided batched product that PassPlan queues (CB = C B^T per image):
//   ssd_tensor: y[t][c] = sum over s <= t of CB[t][s] exp(cum_t - cum_s) step_s xc[s][c] on tensor cores (mma.sync:
//               bf16 inputs in bf16 builds, TF32 otherwise), a block per image and group of channels over all its
//               tokens: each head's running sum of log decays cum_t (step * A) from conv_bc_dt's steps and x's
//               convolution once per token into shared memory, CB and step_s xc_s as the products' operands with the
//               decay split into per-span and per-row factors, then the skip, the gate and the sums of squares, as
//               ssm_scan leaves them.
// Compile-time constants (KernelBuild): MMR_D_STATE (N), MMR_D_CONV (taps), MMR_STATE_SPLIT (lanes sharing one
// channel's state), MMR_STATE_PER_LANE (state rows a lane holds: N / split rounded up to a multiple of 4),
// MMR_SCAN_WARPS (warps per scan block), MMR_CONV_TOKENS (consecutive tokens of an image one conv_bc_dt thread
// covers, so that each input is read once for them rather than once per tap), MMR_TENSOR_CHANNELS and
// MMR_TENSOR_THREADS (an ssd_tensor block's channels and threads: at most 128 registers a thread, so that two blocks
// fit an SM), MMR_TENSOR_ROW_PAD (words past the padded tokens in each of its xc rows: LaunchGeometry says why),
// MMR_TENSOR_Z_PAD (channels past the group's in each row of a bf16 build's staged z: LaunchGeometry says why).
#include "common.cuh"

#if !defined(MMR_D_STATE) || !defined(MMR_D_CONV) || !defined(MMR_STATE_SPLIT) || !defined(MMR_STATE_PER_LANE) \
    || !defined(MMR_SCAN_WARPS) || !defined(MMR_CONV_TOKENS) || !defined(MMR_TENSOR_CHANNELS) || !defined(MMR_TENSOR_THREADS) \
    || !defined(MMR_TENSOR_Z_PAD)
#error "compile with -DMMR_D_STATE, -DMMR_D_CONV, -DMMR_STATE_SPLIT, -DMMR_STATE_PER_LANE, -DMMR_SCAN_WARPS, \
-DMMR_CONV_TOKENS, -DMMR_TENSOR_CHANNELS, -DMMR_TENSOR_THREADS and -DMMR_TENSOR_Z_PAD"
#endif
#if MMR_STATE_PER_LANE % 4 != 0 || MMR_STATE_PER_LANE * MMR_STATE_SPLIT < MMR_D_STATE || 32 % MMR_STATE_SPLIT != 0 \
    || MMR_D_CONV < 2
#error "state rows per lane must be a multiple of 4 covering d_state over a split that divides 32; d_conv at least 2"
#endif

#define MMR_CHANNELS_PER_WARP (32 / MMR_STATE_SPLIT)
#define MMR_CHANNELS_PER_BLOCK (MMR_CHANNELS_PER_WARP * MMR_SCAN_WARPS)
#define MMR_SCAN_THREADS (32 * MMR_SCAN_WARPS)
// Elements of a token's B and C (2N) each thread of a scan block stages.
#define MMR_STAGE_PER_THREAD ((2 * MMR_D_STATE + MMR_SCAN_THREADS - 1) / MMR_SCAN_THREADS)
// State rows of a block's staged B and C: N rounded up so each lane's rows are whole groups of 4 (the rest hold 0).
#define MMR_STATE_PAD (MMR_STATE_PER_LANE * MMR_STATE_SPLIT)
// The scan keeps state / (product of the decays since it last folded them in); below this product it folds.
#define MMR_FOLD_BELOW 1e-6f

// A head's step and decay for one token, as conv_bc_dt writes them.
struct alignas(8) StepDecay {
    float step, decay;
};

// The inputs before a token that a causal depthwise convolution's window holds (a constant for #pragma unroll).
constexpr int CONV_WINDOW = MMR_D_CONV - 1;

// One token of a causal depthwise convolution: bias + the taps over the window (the channel's last d_conv - 1
// inputs, oldest first) and x, summed in tap order; x then joins the window.
__device__ __forceinline__ float conv_step(float (&window)[CONV_WINDOW], const float (&weight)[MMR_D_CONV],
                                           float bias, float x) {
    float acc = bias;
#pragma unroll
    for (int k = 0; k < CONV_WINDOW; k++) {
        acc = fmaf(window[k], weight[k], acc);
    }
    acc = fmaf(x, weight[CONV_WINDOW], acc);
#pragma unroll
    for (int k = 0; k < CONV_WINDOW - 1; k++) {
        window[k] = window[k + 1];
    }
    window[CONV_WINDOW - 1] = x;
    return acc;
}

// An in_proj row (LayerProducts.inProjRowOrder): B and C (2N columns), then the heads in groups of MMR_DT_GROUP, each
// group its heads' dt columns followed by each head's headdim z and headdim x columns. With headdim even (KernelBuild
// refuses odd ones) every z and x starts at an even column, so channel pairs (2k, 2k + 1) load as one word.
#ifndef MMR_DT_GROUP
#error "MMR_DT_GROUP (LayerProducts.DT_GROUP) must be defined"
#endif
__device__ __forceinline__ long long dt_column(int h, int headdim) {
    return 2 * MMR_D_STATE + (long long) (h / MMR_DT_GROUP) * MMR_DT_GROUP * (2 * headdim + 1) + h % MMR_DT_GROUP;
}

// The column of channel c's z (its x is headdim further on).
__device__ __forceinline__ long long z_column(int c, int headdim) {
    const int h = c / headdim;
    return 2 * MMR_D_STATE + (long long) MMR_DT_GROUP * (h / MMR_DT_GROUP + 1) + 2LL * headdim * h + c % headdim;
}

// For `rows` in_proj rows: bc (rows, 2N) = SiLU(conv(B, C)) with the conv1d channels from convCol on, and
// dt (rows, heads, 2) = (step, decay) of each of the `heads` heads. One thread per output column and tile of
// MMR_CONV_TOKENS tokens of an image; it loads all the tile's inputs (and a B/C column's d_conv - 1 before them)
// before computing any, so that the loads are in flight together rather than one a token.
extern "C" __global__ void conv_bc_dt(const act_t* __restrict__ in, int inStride, float* __restrict__ bc,
                                      float* __restrict__ dt, const float* __restrict__ convWeight,
                                      const float* __restrict__ convBias, int convCol, const float* __restrict__ dtBias,
                                      const float* __restrict__ a, int heads, int headdim, int tokens, int rows) {
    const int n2 = 2 * MMR_D_STATE;
    const int cols = n2 + heads;
    const int tilesPerImage = (tokens + MMR_CONV_TOKENS - 1) / MMR_CONV_TOKENS;
    long long i = thread_index();
    if (i >= (long long) (rows / tokens) * tilesPerImage * cols) {
        return;
    }
    const int col = (int) (i % cols);
    const long long tile = i / cols;
    const long long first = (tile / tilesPerImage) * tokens;
    const int t0 = (int) (tile % tilesPerImage) * MMR_CONV_TOKENS;
    const int t1 = t0 + MMR_CONV_TOKENS < tokens ? t0 + MMR_CONV_TOKENS : tokens;
    if (col < n2) {
        const float* w = convWeight + (long long) (convCol + col) * MMR_D_CONV;
        float weight[MMR_D_CONV];
#pragma unroll
        for (int k = 0; k < MMR_D_CONV; k++) {
            weight[k] = w[k];
        }
        const float bias = convBias[convCol + col];
        // x[k]: the input of token t0 - (d_conv - 1) + k (zero before the image's first token and past the tile).
        float x[CONV_WINDOW + MMR_CONV_TOKENS];
#pragma unroll
        for (int k = 0; k < CONV_WINDOW + MMR_CONV_TOKENS; k++) {
            const int t = t0 - CONV_WINDOW + k;
            x[k] = t >= 0 && t < t1 ? act_value(in[(first + t) * inStride + col]) : 0.0f;
        }
#pragma unroll
        for (int k = 0; k < MMR_CONV_TOKENS; k++) {
            if (t0 + k < t1) {
                float acc = bias;  // the taps in conv_step's order: oldest first, the token's own last
#pragma unroll
                for (int j = 0; j < MMR_D_CONV; j++) {
                    acc = fmaf(x[k + j], weight[j], acc);
                }
                bc[(first + t0 + k) * n2 + col] = silu(acc);
            }
        }
    } else {
        const int h = col - n2;
        const act_t* raws = in + dt_column(h, headdim);
        float raw[MMR_CONV_TOKENS];
#pragma unroll
        for (int k = 0; k < MMR_CONV_TOKENS; k++) {
            raw[k] = t0 + k < t1 ? act_value(raws[(first + t0 + k) * inStride]) : 0.0f;
        }
        const float bias = dtBias[h], decayRate = a[h];
#pragma unroll
        for (int k = 0; k < MMR_CONV_TOKENS; k++) {
            if (t0 + k < t1) {
                const long long row = first + t0 + k;
                const float r = raw[k] + bias;
                const float step = r > 20.0f ? r : log1pf(expf(r));
                dt[(row * heads + h) * 2] = step;
                dt[(row * heads + h) * 2 + 1] = expf(step * decayRate);
            }
        }
    }
}

// The selective scan of di channels over each image's tokens, per channel c of head j:
//   xc_t = SiLU(conv(x)_t),  S_t = decay_t S_{t-1} + dt_t xc_t B_t (S: N state rows),  y_t = S_t . C_t + skip_j xc_t,
//   gated_t = y_t SiLU(z_t),
// with z and x read from the in_proj product's rows, bc and dt from conv_bc_dt. A block carries MMR_CHANNELS_PER_BLOCK
// channels of one image (blocks per image: di over that, rounded up); lane l of a warp holds channel l / split of the
// warp and state rows 4 (g * split + l % split) .. + 3 for g < MMR_STATE_PER_LANE / 4, so the split lanes of a
// channel read neighbouring groups of B and C, which the block stages in shared memory each token. The state is kept
// divided by the product of the decays since it was last folded in, which turns the update into one fused multiply-add
// per row. squares (rows, squaresStride): element g of a row is the sum of gated^2 over warp g's channels.
extern "C" __global__ void ssm_scan(const act_t* __restrict__ in, int inStride, const float* __restrict__ bc,
                                    const float* __restrict__ dt, const float* __restrict__ convWeight,
                                    const float* __restrict__ convBias, const float* __restrict__ skip,
                                    act_t* __restrict__ gated, float* __restrict__ squares, int squaresStride,
                                    int tokens, int di, int headdim) {
    __shared__ Floats4 stage[2][2][MMR_STATE_PAD / 4];
    const int blocksPerImage = (di + MMR_CHANNELS_PER_BLOCK - 1) / MMR_CHANNELS_PER_BLOCK;
    const int image = (int) (blockIdx.x / blocksPerImage);
    const int group = (int) (blockIdx.x % blocksPerImage) * MMR_SCAN_WARPS + (int) (threadIdx.x / 32);
    const int part = lane() % MMR_STATE_SPLIT;
    const int c = group * MMR_CHANNELS_PER_WARP + lane() / MMR_STATE_SPLIT;
    const bool active = c < di;
    const bool writer = active && part == 0;
    const int head = active ? c / headdim : 0;
    const int heads = di / headdim;
    const long long zColumn = active ? z_column(c, headdim) : 0;
    float weight[MMR_D_CONV];
    float window[CONV_WINDOW];
#pragma unroll
    for (int k = 0; k < MMR_D_CONV; k++) {
        weight[k] = active ? convWeight[(long long) c * MMR_D_CONV + k] : 0.0f;
    }
#pragma unroll
    for (int k = 0; k < CONV_WINDOW; k++) {
        window[k] = 0.0f;
    }
    const float bias = active ? convBias[c] : 0.0f;
    const float dj = active ? skip[head] : 0.0f;
    float state[MMR_STATE_PER_LANE];
#pragma unroll
    for (int i = 0; i < MMR_STATE_PER_LANE; i++) {
        state[i] = 0.0f;
    }
    float scale = 1.0f;
    float* staged = (float*) stage;
    for (int e = threadIdx.x; e < 2 * 2 * MMR_STATE_PAD; e += blockDim.x) {
        staged[e] = 0.0f;
    }
    // Token t + 1's inputs are loaded into registers while token t is computed, so the loads' latency overlaps the
    // state update instead of stalling each token: this thread's share of B and C (staged into shared memory at the
    // top of the next token), and its channel's x, z, step and decay.
    float bcNext[MMR_STAGE_PER_THREAD];
    float xNext = 0.0f, zNext = 0.0f;
    StepDecay sdNext = {0.0f, 1.0f};
    const long long firstRow = (long long) image * tokens;
#pragma unroll
    for (int k = 0; k < MMR_STAGE_PER_THREAD; k++) {
        const int e = threadIdx.x + k * MMR_SCAN_THREADS;
        bcNext[k] = e < 2 * MMR_D_STATE ? bc[firstRow * 2 * MMR_D_STATE + e] : 0.0f;
    }
    if (active) {
        xNext = act_value(in[firstRow * inStride + zColumn + headdim]);
        zNext = act_value(in[firstRow * inStride + zColumn]);
        sdNext = *(const StepDecay*) (dt + (firstRow * heads + head) * 2);
    }
    __syncthreads();
    for (int t = 0; t < tokens; t++) {
        const long long row = (long long) image * tokens + t;
        float* bcNow = (float*) stage[t & 1];
#pragma unroll
        for (int k = 0; k < MMR_STAGE_PER_THREAD; k++) {
            const int e = threadIdx.x + k * MMR_SCAN_THREADS;
            if (e < 2 * MMR_D_STATE) {
                bcNow[(e / MMR_D_STATE) * MMR_STATE_PAD + e % MMR_D_STATE] = bcNext[k];
            }
        }
        const float xr = xNext;
        const float zr = zNext;
        const float step = sdNext.step;
        const float decay = sdNext.decay;
        __syncthreads();
        if (t + 1 < tokens) {
            const long long next = row + 1;
#pragma unroll
            for (int k = 0; k < MMR_STAGE_PER_THREAD; k++) {
                const int e = threadIdx.x + k * MMR_SCAN_THREADS;
                if (e < 2 * MMR_D_STATE) {
                    bcNext[k] = bc[next * 2 * MMR_D_STATE + e];
                }
            }
            if (active) {
                xNext = act_value(in[next * inStride + zColumn + headdim]);
                zNext = act_value(in[next * inStride + zColumn]);
                sdNext = *(const StepDecay*) (dt + (next * heads + head) * 2);
            }
        }
        const float xc = silu(conv_step(window, weight, bias, xr));
        scale *= decay;
        if (scale < MMR_FOLD_BELOW) {
#pragma unroll
            for (int i = 0; i < MMR_STATE_PER_LANE; i++) {
                state[i] *= scale;
            }
            scale = 1.0f;
        }
        const float u = __fdividef(xc * step, scale);
        const Floats4* bRows = stage[t & 1][0];
        const Floats4* cRows = stage[t & 1][1];
        float y0 = 0.0f, y1 = 0.0f, y2 = 0.0f, y3 = 0.0f;
#pragma unroll
        for (int g = 0; g < MMR_STATE_PER_LANE / 4; g++) {
            const Floats4 bv = bRows[g * MMR_STATE_SPLIT + part];
            const Floats4 cv = cRows[g * MMR_STATE_SPLIT + part];
            state[4 * g] = fmaf(u, bv.x, state[4 * g]);
            state[4 * g + 1] = fmaf(u, bv.y, state[4 * g + 1]);
            state[4 * g + 2] = fmaf(u, bv.z, state[4 * g + 2]);
            state[4 * g + 3] = fmaf(u, bv.w, state[4 * g + 3]);
            y0 = fmaf(state[4 * g], cv.x, y0);
            y1 = fmaf(state[4 * g + 1], cv.y, y1);
            y2 = fmaf(state[4 * g + 2], cv.z, y2);
            y3 = fmaf(state[4 * g + 3], cv.w, y3);
        }
        float y = (y0 + y1) + (y2 + y3);
#pragma unroll
        for (int offset = 1; offset < MMR_STATE_SPLIT; offset <<= 1) {
            y += __shfl_xor_sync(0xffffffffu, y, offset);
        }
        y = fmaf(scale, y, dj * xc);
        const float gate = y * silu(zr);
        if (writer) {
            gated[row * di + c] = to_act(gate);
        }
        const float sum = warp_sum(writer ? gate * gate : 0.0f);
        if (lane() == 0 && group * MMR_CHANNELS_PER_WARP < di) {
            squares[row * squaresStride + group] = sum;
        }
    }
}

// ---- ssd_tensor: the chunk form's sum on tensor cores (mma.sync, float32 accumulators). ----
// Device-only primitives: the tensor-core products as inline PTX (fragments as the PTX ISA lays them out; g = lane / 4,
// q = lane % 4: A holds rows g and g + 8, B column g, D rows g and g + 8 at columns 2q, 2q + 1), a predicated 16-byte
// load and the block's dynamic shared memory. The CPU emulator (test code, cuda_emulation.h) defines the same
// functions from those layouts.
#ifndef MMR_EMULATOR
// d += A (16 x 16, bfloat16 pairs: a0 row g columns 2q, 2q + 1; a1 row g + 8; a2, a3 the same 8 columns on)
//      . B (16 x 8: b0 rows 2q, 2q + 1 of column g; b1 rows 2q + 8, 2q + 9).
__device__ __forceinline__ void mma_bf16_m16n8k16(float (&d)[4], unsigned int a0, unsigned int a1, unsigned int a2,
                                                  unsigned int a3, unsigned int b0, unsigned int b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// d += A (16 x 8, TF32: a0 row g column q; a1 row g + 8; a2, a3 column q + 4) . B (8 x 8: b0 row q of column g; b1
// row q + 4).
__device__ __forceinline__ void mma_tf32_m16n8k8(float (&d)[4], unsigned int a0, unsigned int a1, unsigned int a2,
                                                 unsigned int a3, unsigned int b0, unsigned int b1) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
                 "{%0, %1, %2, %3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
}

// The four floats at p (global, read-only for the kernel's run, 16-byte aligned) where `load`; else nothing is read and
// the word holds whatever its registers held, which the caller must not let reach a stored result. A predicated
// ld.global.nc.v4 rather than a conditional load in C++, whose zeros, written before the load, cost the TF32 build of
// ssd_tensor spills.
__device__ __forceinline__ Floats4 load_rows4_if(bool load, const float* p) {
    Floats4 w;
    asm("{\n\t.reg .pred p;\n\tsetp.ne.b32 p, %4, 0;\n\t@p ld.global.nc.v4.f32 {%0, %1, %2, %3}, [%5];\n\t}"
        : "=f"(w.x), "=f"(w.y), "=f"(w.z), "=f"(w.w)
        : "r"((int) load), "l"(p));
    return w;
}

// An asynchronous copy of a word of T (4, 8 or 16 bytes, both addresses aligned to it) from global memory at `from`
// (read-only for the kernel's run) to shared memory at `to`, or of zeros where not `load` (cp.async with a source
// size of 0: nothing is read); copy_async_wait waits for the calling thread's copies. 16-byte words bypass L1 (.cg:
// they are read once), smaller ones cannot.
template <typename T> __device__ __forceinline__ void copy_async(T* to, const T* from, bool load) {
    static_assert(sizeof(T) == 4 || sizeof(T) == 8 || sizeof(T) == 16, "cp.async copies 4, 8 or 16 bytes");
    const unsigned int shared = (unsigned int) __cvta_generic_to_shared(to);
    const int bytes = load ? (int) sizeof(T) : 0;
    if constexpr (sizeof(T) == 16) {
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" : : "r"(shared), "l"(from), "r"(bytes) : "memory");
    } else {
        asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;"
                     :
                     : "r"(shared), "l"(from), "n"((int) sizeof(T)), "r"(bytes)
                     : "memory");
    }
}

__device__ __forceinline__ void copy_async_wait() {
    asm volatile("cp.async.wait_all;" ::: "memory");
}

// The block's dynamic shared memory (as many bytes as the launch gives), 16-byte aligned.
__device__ __forceinline__ float* dynamic_shared() {
    extern __shared__ Floats4 dynamicShared[];
    return (float*) dynamicShared;
}
#endif

// ssd_tensor's products take bfloat16 inputs in bf16 builds (m16n8k16), otherwise TF32 inputs rounded to nearest
// (m16n8k8, two per 16 tokens); the fp32 mode never runs this kernel (ScanForm.TENSOR runs the recurrence there).
#define MMR_TENSOR_TILES (MMR_TENSOR_CHANNELS / 8)
// N-tiles whose z values (two a tile) a lane loads at once in the epilogue: their loads are in flight together. All
// eight tiles make nvcc's TF32 builds spill (KernelCompileTest).
#define MMR_GATE_TILES 4
// x as in_proj wrote it is staged in shared memory before its convolution, MMR_X_COPY adjacent channels of one head a
// copy (KernelBuild.xCopy: the widest word, up to 16 bytes, that every head's x columns are aligned to): a warp's run
// of some 50 tokens of 32 bfloat16 channels is some 200 16-byte copies, about six a lane, all in flight at once, where
// a thread loading its own channel's tokens, 2 bytes a load, waited four times. The block's threads are
// MMR_X_RUNS runs of tokens for each of its channels.
#ifndef MMR_X_COPY
#error "MMR_X_COPY (KernelBuild.xCopy) must be defined"
#endif
struct alignas(MMR_X_COPY * sizeof(act_t)) XUnit {
    act_t v[MMR_X_COPY];
};
#define MMR_X_RUNS (MMR_TENSOR_THREADS / MMR_TENSOR_CHANNELS)
// bf16 builds stage each warp's z for its span of 16 tokens in shared memory (zs), by the same words as x, when the
// warp starts the span: the copies are in flight while it sums the spans before, where the epilogue's loads from
// global memory waited (about a tenth of the kernel's sampled stalls on an H100, and prefetching z into L2 did not
// shorten them). A row holds the group's channels and MMR_TENSOR_Z_PAD more, so that the epilogue's reads (lane (g, q):
// row g, channels 2q and 2q + 1 of an n-tile) fall in 32 different banks.
#define MMR_Z_STRIDE (MMR_TENSOR_CHANNELS + MMR_TENSOR_Z_PAD)
#define MMR_Z_SPAN (16 * MMR_Z_STRIDE)
#if MMR_TENSOR_CHANNELS % 32 != 0 || 32 % MMR_X_COPY != 0 || MMR_TENSOR_THREADS % MMR_TENSOR_CHANNELS != 0
#error "ssd_tensor's warps must copy whole words of MMR_X_COPY channels of 32 channels each"
#endif
// (Head row, round of 32 tokens) pairs whose steps a decay-sum warp loads at once, and whose warp scans it
// interleaves: a 224px image's 197 tokens are 7 rounds a head, so a block's 14 pairs (two heads) take one batch on its
// 8 warps. More a batch made nvcc's TF32 builds spill (12 to 16 bytes at d_state 128 and 256).
#define MMR_CUM_PAIRS 2
// A scan warp's sum of squares: the n-tiles (8 channels each) it spans, and the lanes of a row (4) that share it.
#define MMR_TENSOR_GROUP_TILES (MMR_CHANNELS_PER_WARP >= 8 ? MMR_CHANNELS_PER_WARP / 8 : 1)
#define MMR_TENSOR_GROUP_LANES (MMR_CHANNELS_PER_WARP >= 8 ? 4 : MMR_CHANNELS_PER_WARP / 2)
#if MMR_TENSOR_CHANNELS % 8 != 0 || MMR_TENSOR_CHANNELS % MMR_CHANNELS_PER_WARP != 0 \
    || MMR_TENSOR_TILES % MMR_TENSOR_GROUP_TILES != 0 || MMR_TENSOR_TILES % MMR_GATE_TILES != 0
#error "ssd_tensor's channel group must be whole n-tiles of 8 and whole scan warps' channels"
#endif

// The token offset within a span of 16 that a lane's fragments hold as its e-th A column and B row: 4q + e in both
// builds. A product A (16 x K) . B (K x 8) takes its k in any order A's columns and B's rows share, so the span's
// tokens need not sit where the PTX layout puts k (bf16 m16n8k16: 2q, 2q + 1, 2q + 8, 2q + 9; TF32 m16n8k8, twice:
// q, q + 4, then q + 8, q + 12): pack_a and pack_b put e = 0..3 in those places, the same for A and B, and lane q
// holds the span's tokens 4q .. 4q + 3, which it loads from a CB row as one 16-byte word.
__device__ __forceinline__ int span_offset(int e, int q) {
    return 4 * q + e;
}

// float32 -> TF32 bits, rounded to nearest (ties away from zero, as cvt.rna.tf32.f32); the low 13 bits are zero.
__device__ __forceinline__ unsigned int tf32_bits(float v) {
    return (__float_as_uint(v) + 0x1000u) & 0xFFFFE000u;
}

// A 16 x 16 A operand in a lane's registers, in the order the products take them.
struct MmaA {
#ifdef MMR_BF16
    unsigned int r[4];
#else
    unsigned int r[8];
#endif
};

// Packs a lane's A values a[row][e] (row 0: g, 1: g + 8; e: span_offset's order, token 4q + e) into the products'
// registers: bf16 puts e = 0, 1, 2, 3 at k = 2q, 2q + 1, 2q + 8, 2q + 9; TF32 at k = q, q + 4 of the first product,
// then q, q + 4 of the second (pack_b the same).
__device__ __forceinline__ MmaA pack_a(const float (&a)[2][4]) {
    MmaA m;
#ifdef MMR_BF16
    m.r[0] = pack_bf16(a[0][0], a[0][1]);
    m.r[1] = pack_bf16(a[1][0], a[1][1]);
    m.r[2] = pack_bf16(a[0][2], a[0][3]);
    m.r[3] = pack_bf16(a[1][2], a[1][3]);
#else
#pragma unroll
    for (int half = 0; half < 2; half++) {
        m.r[4 * half] = tf32_bits(a[0][2 * half]);
        m.r[4 * half + 1] = tf32_bits(a[1][2 * half]);
        m.r[4 * half + 2] = tf32_bits(a[0][2 * half + 1]);
        m.r[4 * half + 3] = tf32_bits(a[1][2 * half + 1]);
    }
#endif
    return m;
}

// A 16 x 8 B operand in a lane's registers, in the order the products take them (one 8- or 16-byte shared-memory
// word, so a lane loads a stored one at once).
#ifdef MMR_BF16
#define MMR_B_WORDS 2
struct alignas(8) MmaB {
    unsigned int r[2];
};
#else
#define MMR_B_WORDS 4
struct alignas(16) MmaB {
    unsigned int r[4];
};
#endif

// Packs a lane's B values b[e] (column g at span_offset e, token 4q + e) into the products' registers, at the k
// where pack_a puts A's e.
__device__ __forceinline__ MmaB pack_b(const float (&b)[4]) {
    MmaB m;
#ifdef MMR_BF16
    m.r[0] = pack_bf16(b[0], b[1]);
    m.r[1] = pack_bf16(b[2], b[3]);
#else
#pragma unroll
    for (int e = 0; e < 4; e++) {
        m.r[e] = tf32_bits(b[e]);
    }
#endif
    return m;
}

// d += A (16 x 16) . B (16 x 8).
__device__ __forceinline__ void mma_span(float (&d)[4], const MmaA& a, const MmaB& b) {
#ifdef MMR_BF16
    mma_bf16_m16n8k16(d, a.r[0], a.r[1], a.r[2], a.r[3], b.r[0], b.r[1]);
#else
    mma_tf32_m16n8k8(d, a.r[0], a.r[1], a.r[2], a.r[3], b.r[0], b.r[1]);
    mma_tf32_m16n8k8(d, a.r[4], a.r[5], a.r[6], a.r[7], b.r[2], b.r[3]);
#endif
}

// An n-tile's rows t and t + 8 (the lane's two) scaled by exp(cum_row - reference).
__device__ __forceinline__ void scale_rows(float (&d)[4], const float* cum, int t, float reference) {
    const float first = __expf(cum[t] - reference);
    const float second = __expf(cum[t + 8] - reference);
    d[0] *= first;
    d[1] *= first;
    d[2] *= second;
    d[3] *= second;
}

// A lane's A values of CB's rows t0 + g and t0 + g + 8 at the columns s0 + 4q .. s0 + 4q + 3 of the span from s0
// (span_offset's order): one 16-byte word a row, CB's rows being cbStride floats, a multiple of 4. A row past the
// tokens, or a word wholly past them, is not loaded; a word that straddles the last token ends inside the row's
// padding (cbStride >= tokens rounded up to 4). Those values are anything (NaN too) and need no zeroing: the spans
// before the diagonal one lie within the tokens, the diagonal span selects columns s <= t only, and a row t past the
// tokens (where s > t may lie past them too) is a product row of its own that the epilogue never stores.
__device__ __forceinline__ void load_cb_span(float (&a)[2][4], const float* __restrict__ cb, int cbStride, int tokens,
                                             int t0, int s0, int g, int q) {
    const int s = s0 + span_offset(0, q);
#pragma unroll
    for (int r = 0; r < 2; r++) {
        const int t = t0 + g + 8 * r;
        const Floats4 w = load_rows4_if(t < tokens && s < tokens, cb + (long long) t * cbStride + s);
        a[r][0] = w.x;
        a[r][1] = w.y;
        a[r][2] = w.z;
        a[r][3] = w.w;
    }
}

// Adds span j, one before the output span i, to a warp's sums (acc, its n-tiles): A from the CB values of span j that
// `cbSpan` holds, into which span j + ahead's are then loaded, so that the load is in flight while this span and those
// between are multiplied (up to the diagonal span i: past it, tokens 0 loads nothing); the sums so far scaled by mu_j
// (mus: each channel's, span by span); then the products with the span's packed B operands (bs).
__device__ __forceinline__ void add_span(float (&acc)[MMR_TENSOR_TILES][4], float (&cbSpan)[2][4], int j, int ahead,
                                         int i, const float* __restrict__ cb, int cbStride, int tokens, int t0, int g,
                                         int q, const float* mus, const MmaB* bs) {
    const MmaA frag = pack_a(cbSpan);
    load_cb_span(cbSpan, cb, cbStride, j + ahead <= i ? tokens : 0, t0, 16 * (j + ahead), g, q);
    if (j > 0) {
#pragma unroll
        for (int nt = 0; nt < MMR_TENSOR_TILES; nt++) {
            // The lane's two channels' factors, adjacent and 8-byte aligned: one load.
            const float2 m = *(const float2*) (mus + j * MMR_TENSOR_CHANNELS + 8 * nt + 2 * q);
            acc[nt][0] *= m.x;
            acc[nt][1] *= m.y;
            acc[nt][2] *= m.x;
            acc[nt][3] *= m.y;
        }
    }
    const MmaB* b = bs + j * MMR_TENSOR_TILES * 32 + lane();
#pragma unroll
    for (int nt = 0; nt < MMR_TENSOR_TILES; nt++) {
        mma_span(acc[nt], frag, b[32 * nt]);
    }
}

// Stores row g + 8 * half of the gated outputs in n-tiles nt0 .. nt0 + TILES - 1 (acc holds them; 0 past di), into
// the row `gatedRow` of di activations. In bf16 builds a lane holds two adjacent channels (2q, 2q + 1: 4 bytes) of
// each tile, so of each two tiles the neighbouring lanes 2k and 2k + 1 swap one pair: lane 2k then holds channels
// 4k .. 4k + 3 of the first tile, lane 2k + 1 the same of the second, and each stores them as one 8-byte word, so a
// warp's store fills whole 32-byte sectors where pairs filled half of each. Where di is not a multiple of 4 (rows not
// 8-byte aligned) the two words go one at a time. In the other builds a pair is 8 bytes, four lanes a sector already.
template <int TILES>
__device__ __forceinline__ void store_gate_tiles(act_t* __restrict__ gatedRow, const float (&acc)[MMR_TENSOR_TILES][4],
                                                 int nt0, int half, bool liveRow, int c0, int di, int q) {
#ifdef MMR_BF16
    static_assert(TILES % 2 == 0, "gated stores swap pairs between pairs of n-tiles");
    const bool odd = q % 2 != 0;
#pragma unroll
    for (int u = 0; u < TILES; u += 2) {
        const int nt = nt0 + u;
        const unsigned int first = pack_bf16(acc[nt][2 * half], acc[nt][2 * half + 1]);
        const unsigned int second = pack_bf16(acc[nt + 1][2 * half], acc[nt + 1][2 * half + 1]);
        const unsigned int partner = __shfl_xor_sync(0xffffffffu, odd ? first : second, 1);
        const int channel = c0 + 8 * (nt + odd) + 2 * (q - odd);
        if (liveRow && channel < di) {
            Words2 words;
            words.lo = odd ? partner : first;
            words.hi = odd ? second : partner;
            if (di % 4 == 0) {
                *(Words2*) (gatedRow + channel) = words;
            } else {
                *(unsigned int*) (gatedRow + channel) = words.lo;
                if (channel + 2 < di) {
                    *(unsigned int*) (gatedRow + channel + 2) = words.hi;
                }
            }
        }
    }
#else
#pragma unroll
    for (int u = 0; u < TILES; u++) {
        const int channel = c0 + 8 * (nt0 + u) + 2 * q;
        if (liveRow && channel < di) {
            store_act_pair(gatedRow + channel, acc[nt0 + u][2 * half], acc[nt0 + u][2 * half + 1]);
        }
    }
#endif
}

// The most heads a group of MMR_TENSOR_CHANNELS channels touches, its first channel a multiple of that count: where
// headdim divides the group, its heads exactly; otherwise a group may straddle one more (LaunchGeometry.spanHeads).
// Without a branch: written as a conditional, it made nvcc's TF32 build with N = 256 spill 24 bytes.
__device__ __forceinline__ int span_heads(int headdim) {
    return (MMR_TENSOR_CHANNELS - 1) / headdim + 1 + (MMR_TENSOR_CHANNELS % headdim != 0);
}

// bf16 builds whose n-tiles lie within heads take the diagonal span through its own packed B operand (ssd_tensor), so
// they pack the last span's too; a head whose log decay over a span exceeds MMR_DIAGONAL_DECAY takes the per-element
// form there, since that path's row factor exp(cum_t - cum_(e_i)) grows to exp of the span's decay.
#if defined(MMR_BF16) && defined(MMR_TILES_WITHIN_HEADS)
#define MMR_PACKED_DIAGONAL
#define MMR_PACKED_SPANS(spans) (spans)
#define MMR_DIAGONAL_DECAY 60.0f

// Whether a head (its cums) decays slowly enough over the span from t0 for the packed form.
__device__ __forceinline__ bool packs_diagonal(const float* cum, int t0) {
    return cum[t0] - cum[t0 + 15] <= MMR_DIAGONAL_DECAY;
}
#else
#define MMR_PACKED_SPANS(spans) ((spans) - 1)
#endif

// The scan in the chunk form on tensor cores, an image's tokens one chunk: per channel c of head h,
//   y_t = sum over s <= t of CB[t][s] exp(cum_t - cum_s) step_s xc_s + skip_h xc_t,  gated_t = y_t SiLU(z_t),
// with CB (per image, tokens rows of cbStride floats, a multiple of 4 no less than tokens; row t the output token,
// column s the source) from the batched product, step_s from conv_bc_dt's dt (rows, heads, 2: step, decay), and
// cum_t = sum over s <= t of step_s A_h, each head's running sum of log decays (A_h = logDecay[h], the a conv_bc_dt
// takes), which the prologue sums; gated and squares as ssm_scan writes them. A block (MMR_TENSOR_THREADS) owns
// MMR_TENSOR_CHANNELS channels of one image over all its tokens (blocks: images x channel groups), so each xc is
// computed once, into shared memory. Tokens are padded to P, a multiple of 16, in spans of 16; a warp computes one
// span i of output tokens at a time (the longest sums first, dealt to the warps back and forth) for all the block's
// channels, as n-tiles of 16 tokens x 8 channels of float32 accumulators.
// No exponent is positive beyond rounding (cum never increases; its warp-scan sums, added in different orders for
// neighbouring tokens, may rise by a few ulp), and the spans before t's own need no exponential per element:
// with e_j the last token of span j < i,
//   exp(cum_t - cum_s) = exp(cum_t - cum_(e_(i-1))) exp(cum_(e_(i-1)) - cum_(e_j)) exp(cum_(e_j) - cum_s),
// the last factor goes with step_s xc_s into B, the middle one is the product of the span factors
// mu_k = exp(cum_(e_k) - cum_(e_(k-1))) by which the accumulators are scaled before span k is added, and the first
// scales each row once; so those spans multiply the plain CB, shared by every head. Their B operands do not depend on
// the output span, so they are packed once, in the products' register layout, into shared memory, and a warp's
// product of two spans is a load of A from CB (a 16-byte word per lane and row), one shared-memory word per n-tile,
// the products and the mu scaling.
// The diagonal span multiplies, per head, CB[t][s] exp(cum_t - cum_s) (0 for s > t) by step_s xc_s of that head's
// channels. A factor that underflows does so only where the true weight, its product with factors <= 1, is smaller
// still. With MMR_PACKED_DIAGONAL the diagonal span is split as the spans before it are, at its own end e_i:
// CB masked to s <= t times the span's packed B, the sums so far first scaled by mu_i, then each row by
// exp(cum_t - cum_(e_i)), the one factor whose exponent is positive (at most the span's decay, MMR_DIAGONAL_DECAY).
// Shared memory (dynamic, 4-byte words; LaunchGeometry.tensor sizes it; H = span_heads(headdim), the most heads a
// group touches):
//   heads [channels] (int): each channel's head less the group's first (-1 past di);  zColumns [channels] (int): each
//   channel's z column in an in_proj row (0 past di);  skips [channels]: each channel's skip D_h (0 past di);
//   xs [channels][P + MMR_TENSOR_ROW_PAD]: xc (0 past the tokens or di);
//   in bf16 builds, zs [warps][16][channels + MMR_TENSOR_Z_PAD] (act_t): each warp's z of its span's 16 tokens, copied
//   when the warp starts the span and read by its epilogue (0 past the tokens or di); before the spans start, the
//   same room holds spanFactors [H][P]: step_s exp(cum_(e_j) - cum_s) (LaunchGeometry refuses shapes where they would
//   not fit);
// then a region (16-byte aligned) that holds x while it is convolved and then the prologue's tables, the larger of:
//   staged [tokens][channels] (act_t): x as in_proj wrote it (0 past di), until xc is computed;
//   bs [P / 16 - 1, or P / 16 with MMR_PACKED_DIAGONAL][channels / 8][32 lanes][MMR_B_WORDS]: the spans' B operands
//   (the last's only for the packed diagonal), as each lane takes them;  cums, steps [H][P]: cum_s and step_s (past
//   the tokens the last token's cum and step 0; past the model's heads both 0), summed in the prologue;
//   mus [P / 16][channels]: mu_j of each channel's head;
//   totals [H][ceil(P / 32)]: each head row's sums of step_s A_h over its rounds of 32 tokens, which the decay sums
//   carry from round to round.
extern "C" __global__ void __launch_bounds__(MMR_TENSOR_THREADS, 2) ssd_tensor(const act_t* __restrict__ in, int inStride, const float* __restrict__ cb,
                                      int cbStride, const float* __restrict__ dt, const float* __restrict__ logDecay,
                                      const float* __restrict__ convWeight, const float* __restrict__ convBias,
                                      const float* __restrict__ skip, act_t* __restrict__ gated,
                                      float* __restrict__ squares, int squaresStride,
                                      int tokens, int di, int headdim) {
    const int padded = (tokens + 15) / 16 * 16;
    const int spans = padded / 16;
    const int xStride = padded + MMR_TENSOR_ROW_PAD;
    const int groups = (di + MMR_TENSOR_CHANNELS - 1) / MMR_TENSOR_CHANNELS;
    const int heads = di / headdim;
    const int spanHeads = span_heads(headdim);
    const long long image = blockIdx.x / groups;
    const int c0 = (int) (blockIdx.x % groups) * MMR_TENSOR_CHANNELS;
    const int firstHead = c0 / headdim;
    int* headOf = (int*) dynamic_shared();
    int* zColumns = headOf + MMR_TENSOR_CHANNELS;
    float* skips = (float*) (zColumns + MMR_TENSOR_CHANNELS);
    float* xs = skips + MMR_TENSOR_CHANNELS;
#ifdef MMR_BF16
    act_t* zs = (act_t*) (xs + MMR_TENSOR_CHANNELS * xStride);
    act_t* staged = zs + MMR_TENSOR_THREADS / 32 * MMR_Z_SPAN;
#else
    act_t* staged = (act_t*) (xs + MMR_TENSOR_CHANNELS * xStride);
#endif
    MmaB* bs = (MmaB*) staged;
    float* cums = (float*) (bs + MMR_PACKED_SPANS(spans) * MMR_TENSOR_TILES * 32);
    float* steps = cums + spanHeads * padded;
    float* mus = steps + spanHeads * padded;
    float* totals = mus + spans * MMR_TENSOR_CHANNELS;
    const long long firstRow = image * tokens;
    in += firstRow * inStride;
    cb += image * tokens * cbStride;
    dt += firstRow * heads * 2;

    for (int c = threadIdx.x; c < MMR_TENSOR_CHANNELS; c += blockDim.x) {
        const bool live = c0 + c < di;
        headOf[c] = live ? (c0 + c) / headdim - firstHead : -1;
        zColumns[c] = live ? (int) z_column(c0 + c, headdim) : 0;
        skips[c] = live ? skip[(c0 + c) / headdim] : 0.0f;
    }
    // xc: a thread per channel and run of tokens (a warp: 32 channels of one run), its last d_conv - 1 inputs in
    // registers (the arithmetic of ssm_scan). Each warp first copies its run of its channels' x into shared memory,
    // all of a lane's copies in flight at once (asynchronous copies hold no registers), and waits for its own copies
    // only, so that a warp computes while others wait for theirs.
    {
        const int runLength = (padded + MMR_X_RUNS - 1) / MMR_X_RUNS;
        const int c = threadIdx.x % MMR_TENSOR_CHANNELS;
        const int channel = c0 + c;
        const int t0 = threadIdx.x / MMR_TENSOR_CHANNELS * runLength;
        const int t1 = t0 + runLength < padded ? t0 + runLength : padded;
        const int copied = t1 < tokens ? t1 : tokens;
        // The warp's 32 channels are 32 / MMR_X_COPY words a token; a lane copies one word of every
        // (MMR_X_COPY)-th token of the run.
        const int copyChannel = c - lane() + lane() % (32 / MMR_X_COPY) * MMR_X_COPY;
        const bool copyLive = c0 + copyChannel < di;
        const act_t* from = in + (copyLive ? z_column(c0 + copyChannel, headdim) + headdim : 0);
        for (int t = t0 + lane() / (32 / MMR_X_COPY); t < copied; t += MMR_X_COPY) {
            copy_async((XUnit*) (staged + t * MMR_TENSOR_CHANNELS + copyChannel),
                       (const XUnit*) (from + (long long) t * inStride), copyLive);
        }
        float weight[MMR_D_CONV];
        float window[CONV_WINDOW];
        const bool live = channel < di;
        const long long xColumn = live ? z_column(channel, headdim) + headdim : 0;
#pragma unroll
        for (int k = 0; k < MMR_D_CONV; k++) {
            weight[k] = live ? convWeight[(long long) channel * MMR_D_CONV + k] : 0.0f;
        }
        const float bias = live ? convBias[channel] : 0.0f;
        // The inputs before the run, which the run before copies: read here from in_proj's output.
#pragma unroll
        for (int k = 0; k < CONV_WINDOW; k++) {
            const int t = t0 - CONV_WINDOW + k;
            window[k] = live && t >= 0 && t < tokens ? act_value(in[(long long) t * inStride + xColumn]) : 0.0f;
        }
        copy_async_wait();
        __syncwarp();
        // d_conv - 1 tokens at a time, so that one token's loads, convolution and SiLU overlap the others' (one at a
        // time each waited for the last), and after each such round the window's values are back in the registers they
        // started in, which the compiler can do without moves (two at a time leave them shifted; wholly unrolled,
        // nvcc's builds at N 256 spill 8 to 16 bytes).
#pragma unroll (CONV_WINDOW)
        for (int t = t0; t < t1; t++) {
            const float x = t < tokens ? act_value(staged[t * MMR_TENSOR_CHANNELS + c]) : 0.0f;
            const float xc = silu(conv_step(window, weight, bias, x));
            xs[c * xStride + t] = live && t < tokens ? xc : 0.0f;
        }
    }
    // The tables below take the staged x's place.
    __syncthreads();
    // cums and steps, in two passes that all the block's warps share. First a warp per (head row, round of 32 tokens)
    // pair, lane l taking token 32r + l: an inclusive warp scan of step_t A_h within the round. The steps of
    // MMR_CUM_PAIRS pairs are loaded before any is scanned, and their scans interleaved, so that the loads, and the
    // shuffles, are in flight together. Past the tokens the step is 0 and the sum is set to the last token's, taken
    // from its lane, so that it stays that exactly (the scan's adds of those zeros come in other orders); past the
    // model's heads, step and A are 0, so both are 0. Lane 31 keeps the round's total.
    const int rounds = (padded + 31) / 32;
    const int pairs = spanHeads * rounds;
    const int cumWarps = (int) (blockDim.x / 32);
    for (int p0 = (int) (threadIdx.x / 32); p0 < pairs; p0 += cumWarps * MMR_CUM_PAIRS) {
        float step[MMR_CUM_PAIRS];
        float cum[MMR_CUM_PAIRS];
#pragma unroll
        for (int u = 0; u < MMR_CUM_PAIRS; u++) {
            const int pair = p0 + cumWarps * u;
            const int h = firstHead + pair / rounds;
            const int t = 32 * (pair % rounds) + lane();
            const bool live = pair < pairs && h < heads && t < tokens;
            step[u] = live ? dt[(t * heads + h) * 2] : 0.0f;
            cum[u] = live ? step[u] * logDecay[h] : 0.0f;
        }
#pragma unroll
        for (int offset = 1; offset < 32; offset <<= 1) {
#pragma unroll
            for (int u = 0; u < MMR_CUM_PAIRS; u++) {
                const float before = __shfl_up_sync(0xffffffffu, cum[u], offset);
                if (lane() >= offset) {
                    cum[u] += before;
                }
            }
        }
#pragma unroll
        for (int u = 0; u < MMR_CUM_PAIRS; u++) {
            const int pair = p0 + cumWarps * u;
            const int row = pair / rounds;
            const int t0 = 32 * (pair % rounds);
            const int t = t0 + lane();
            // The last token's lane; a round wholly past the tokens sums only zeros, so its lane 0 holds 0.
            const int last = tokens - 1 - t0;
            const float atLast = __shfl_sync(0xffffffffu, cum[u], last < 0 ? 0 : last > 31 ? 31 : last);
            if (t >= tokens) {
                cum[u] = atLast;
            }
            if (pair < pairs && t < padded) {
                cums[row * padded + t] = cum[u];
                steps[row * padded + t] = step[u];
            }
            if (pair < pairs && lane() == 31) {
                totals[pair] = cum[u];
            }
        }
    }
    __syncthreads();
    // Then each token adds the totals of its row's rounds before its own, first to last: the sums one warp carrying
    // them from round to round would make.
    for (int e = threadIdx.x; e < spanHeads * padded; e += blockDim.x) {
        const int round = e % padded / 32;
        const float* total = totals + e / padded * rounds;
        if (round > 0) {
            float carry = total[0];
            for (int r = 1; r < round; r++) {
                carry += total[r];
            }
            cums[e] += carry;
        }
    }
    __syncthreads();
    // mu_j of each channel's head, from the cums in shared memory (past the tokens, in the last span, cum is the last
    // token's).
    for (int e = threadIdx.x; e < spans * MMR_TENSOR_CHANNELS; e += blockDim.x) {
        const int j = e / MMR_TENSOR_CHANNELS;
        const int head = headOf[e % MMR_TENSOR_CHANNELS];
        const float* cum = cums + (head < 0 ? 0 : head) * padded;
        mus[e] = j > 0 && head >= 0 ? __expf(cum[16 * j + 15] - cum[16 * j - 1]) : 1.0f;
    }
#ifdef MMR_BF16
    // bf16 builds: each head row's B factors step_s exp(cum_(e_j) - cum_s) (s in span j), once a token, into the staged
    // z's room (unused until the spans start; LaunchGeometry refuses shapes whose factors it cannot hold), where every
    // n-tile of the head's channels takes them as it packs its B operands: four adjacent tokens' as one 16-byte word
    // (rows of P words from a 16-byte aligned start, P a multiple of 16).
    float* spanFactors = (float*) zs;
    for (int e = threadIdx.x; e < spanHeads * padded; e += blockDim.x) {
        spanFactors[e] = steps[e] * __expf(cums[e - e % 16 + 15] - cums[e]);
    }
    __syncthreads();
#endif
    // The spans before the last (and the last, MMR_PACKED_DIAGONAL): B = step_s xc_s exp(cum_(e_j) - cum_s) at each
    // lane's span offsets, packed once. A warp packs one n-tile of one span (blockDim is whole warps). In TF32 builds,
    // where a tile's 8 channels are one head's, its 16 tokens' factors step_s exp(cum_(e_j) - cum_s) are the same for
    // all of them: lane l computes token l % 16's, and each lane takes its four from those lanes.
    for (int f = threadIdx.x; f < MMR_PACKED_SPANS(spans) * MMR_TENSOR_TILES * 32; f += blockDim.x) {
        const int reader = f % 32;
        const int c = 8 * (f / 32 % MMR_TENSOR_TILES) + reader / 4;
        const int s0 = 16 * (f / (32 * MMR_TENSOR_TILES));
        const int head = headOf[c];  // -1 past di, where xc is 0
        float b[4];
#ifdef MMR_BF16
        // The lane's four tokens, span_offset(0..3): adjacent, the first a multiple of 4.
        const int s = s0 + span_offset(0, reader % 4);
        const Floats4 factor = *(const Floats4*) (spanFactors + (head < 0 ? 0 : head) * padded + s);
        b[0] = xs[c * xStride + s] * factor.x;
        b[1] = xs[c * xStride + s + 1] * factor.y;
        b[2] = xs[c * xStride + s + 2] * factor.z;
        b[3] = xs[c * xStride + s + 3] * factor.w;
#else
        const float* cum = cums + (head < 0 ? 0 : head) * padded;
        const float* step = steps + (head < 0 ? 0 : head) * padded;
        const float spanEnd = cum[s0 + 15];
#ifdef MMR_TILES_WITHIN_HEADS
        const int s = s0 + reader % 16;
        const float factor = step[s] * __expf(spanEnd - cum[s]);
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int offset = span_offset(e, reader % 4);
            b[e] = xs[c * xStride + s0 + offset] * __shfl_sync(0xffffffffu, factor, offset);
        }
#else
#pragma unroll
        for (int e = 0; e < 4; e++) {
            const int s = s0 + span_offset(e, reader % 4);
            b[e] = xs[c * xStride + s] * (step[s] * __expf(spanEnd - cum[s]));
        }
#endif
#endif
        bs[f] = pack_b(b);
    }
    __syncthreads();

    const int warp = (int) (threadIdx.x / 32);
    const int warps = (int) (blockDim.x / 32);
    const int g = lane() / 4;
    const int q = lane() % 4;
    const int lastChannel = (c0 + MMR_TENSOR_CHANNELS < di ? c0 + MMR_TENSOR_CHANNELS : di) - 1;
    const int usedHeads = lastChannel / headdim - firstHead + 1;
    for (int round = 0;; round++) {
        const int i = spans - 1 - (round * warps + (round % 2 == 0 ? warp : warps - 1 - warp));
        if (i < 0) {
            break;
        }
        const int t0 = 16 * i;
#ifdef MMR_BF16
        // The span's z, MMR_X_COPY channels of one head a copy (zColumns: 0 past di, where nothing is read). The warp's
        // lanes have all read the span before's (its epilogue) before any copy overwrites it.
        act_t* zSpan = zs + warp * MMR_Z_SPAN;
        __syncwarp();
        for (int w = lane(); w < 16 * (MMR_TENSOR_CHANNELS / MMR_X_COPY); w += 32) {
            const int r = w / (MMR_TENSOR_CHANNELS / MMR_X_COPY);
            const int c = w % (MMR_TENSOR_CHANNELS / MMR_X_COPY) * MMR_X_COPY;
            const bool live = t0 + r < tokens && c0 + c < di;
            copy_async((XUnit*) (zSpan + r * MMR_Z_STRIDE + c),
                       (const XUnit*) (in + (live ? (long long) (t0 + r) * inStride + zColumns[c] : 0)), live);
        }
#endif
        float acc[MMR_TENSOR_TILES][4];
#pragma unroll
        for (int nt = 0; nt < MMR_TENSOR_TILES; nt++) {
#pragma unroll
            for (int v = 0; v < 4; v++) {
                acc[nt][v] = 0.0f;
            }
        }
        // The spans before: the plain CB times step_s xc_s exp(cum_(e_j) - cum_s), the sums so far scaled by mu_j
        // (add_span). Each span's CB values are loaded while the span before is multiplied (the diagonal span's during
        // the last), and cbNext ends holding the diagonal span's. In bf16 builds two spans ahead, into two sets of
        // registers taken in turn: cbNext for the spans an even number before the diagonal one, cbOther for the rest,
        // span 0 alone first where i is odd (one set passed on to the other would wait for its load at the move; the
        // TF32 builds, with twice the A registers, would spill).
        float cbNext[2][4];
#ifdef MMR_BF16
        float cbOther[2][4];
        load_cb_span(cbNext, cb, cbStride, tokens, t0, 16 * (i % 2), g, q);
        load_cb_span(cbOther, cb, cbStride, i > 0 ? tokens : 0, t0, 16 * (1 - i % 2), g, q);
        if (i % 2 == 1) {
            add_span(acc, cbOther, 0, 2, i, cb, cbStride, tokens, t0, g, q, mus, bs);
        }
        for (int j = i % 2; j < i; j += 2) {
            add_span(acc, cbNext, j, 2, i, cb, cbStride, tokens, t0, g, q, mus, bs);
            add_span(acc, cbOther, j + 1, 2, i, cb, cbStride, tokens, t0, g, q, mus, bs);
        }
#else
        load_cb_span(cbNext, cb, cbStride, tokens, t0, 0, g, q);
        for (int j = 0; j < i; j++) {
            add_span(acc, cbNext, j, 1, i, cb, cbStride, tokens, t0, g, q, mus, bs);
        }
#endif
#ifdef MMR_PACKED_DIAGONAL
        // The diagonal span through its own packed B, a tile at a time (a tile's channels are one head's): the sums so
        // far scaled by mu_i, plus CB masked to s <= t times B, then each row by exp(cum_t - cum_(e_i)). A head whose
        // log decay over the span exceeds MMR_DIAGONAL_DECAY has its rows scaled by exp(cum_t - cum_(e_(i-1))) instead
        // and takes the per-element form below.
        // (CB masked in place: the per-element form below takes 0 above the diagonal too.)
#pragma unroll
        for (int r = 0; r < 2; r++) {
#pragma unroll
            for (int e = 0; e < 4; e++) {
                cbNext[r][e] = span_offset(e, q) <= g + 8 * r ? cbNext[r][e] : 0.0f;
            }
        }
        const MmaA diagonal = pack_a(cbNext);
        const MmaB* own = bs + i * MMR_TENSOR_TILES * 32 + lane();
        // A head's form and factors serve all its tiles, which lie next to each other: they are worked out where a
        // tile's head is not the tile before's (once a group at headdim 64, twice at 32), not once a tile.
        int factorsOf = -2;
        bool packed = false;
        float mu = 1.0f, first = 1.0f, second = 1.0f;
#pragma unroll
        for (int nt = 0; nt < MMR_TENSOR_TILES; nt++) {
            const int h = headOf[8 * nt];
            if (h != factorsOf) {
                factorsOf = h;
                const float* cum = cums + (h < 0 ? 0 : h) * padded;
                packed = packs_diagonal(cum, t0);
                mu = mus[i * MMR_TENSOR_CHANNELS + 8 * nt];
                const float reference = packed ? cum[t0 + 15] : cum[i > 0 ? t0 - 1 : 0];
                first = __expf(cum[t0 + g] - reference);
                second = __expf(cum[t0 + g + 8] - reference);
            }
            if (packed) {
#pragma unroll
                for (int v = 0; v < 4; v++) {
                    acc[nt][v] *= mu;
                }
                mma_span(acc[nt], diagonal, own[32 * nt]);
            }
            if (packed || i > 0) {
                acc[nt][0] *= first;
                acc[nt][1] *= first;
                acc[nt][2] *= second;
                acc[nt][3] *= second;
            }
        }
#else
        // Each row's exp(cum_t - cum_(e_(i-1))), the factor the spans before still lack: where a tile's channels are
        // one head's, two a tile (the lane's two rows), else one an accumulator. (Worked out once a head, as the packed
        // diagonal above does, they made the TF32 build at N 256 spill 20 bytes: KernelCompileTest.)
        if (i > 0) {
#pragma unroll
            for (int nt = 0; nt < MMR_TENSOR_TILES; nt++) {
#ifdef MMR_TILES_WITHIN_HEADS
                const int h = headOf[8 * nt];
                const float* cum = cums + (h < 0 ? 0 : h) * padded;
                scale_rows(acc[nt], cum, t0 + g, cum[t0 - 1]);
#else
#pragma unroll
                for (int v = 0; v < 4; v++) {
                    const int h = headOf[8 * nt + 2 * q + (v & 1)];
                    const float* cum = cums + (h < 0 ? 0 : h) * padded;
                    acc[nt][v] *= __expf(cum[t0 + g + 8 * (v >> 1)] - cum[t0 - 1]);
                }
#endif
            }
        }
#endif
        // The diagonal span, per head: CB[t][s] exp(cum_t - cum_s) for s <= t, times step_s xc_s of its channels (with
        // MMR_PACKED_DIAGONAL only a head that decays too fast over the span for the packed form).
        for (int h = 0; h < usedHeads; h++) {
            const float* cum = cums + h * padded;
#ifdef MMR_PACKED_DIAGONAL
            if (packs_diagonal(cum, t0)) {
                continue;
            }
#endif
            float a[2][4];
#pragma unroll
            for (int r = 0; r < 2; r++) {
                const int t = t0 + g + 8 * r;
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    const int s = t0 + span_offset(e, q);
                    a[r][e] = s <= t ? cbNext[r][e] * __expf(cum[t] - cum[s]) : 0.0f;
                }
            }
            const MmaA frag = pack_a(a);
#pragma unroll
            for (int nt = 0; nt < MMR_TENSOR_TILES; nt++) {
                const int first = headOf[8 * nt];
                const int last = headOf[8 * nt + 7] < 0 ? usedHeads - 1 : headOf[8 * nt + 7];
                if (first < 0 || h < first || h > last) {
                    continue;
                }
                const bool mine = headOf[8 * nt + g] == h;
                const float* x = xs + (8 * nt + g) * xStride + t0;
                const float* step = steps + h * padded + t0;
                float b[4];
#pragma unroll
                for (int e = 0; e < 4; e++) {
                    b[e] = mine ? x[span_offset(e, q)] * step[span_offset(e, q)] : 0.0f;
                }
                mma_span(acc[nt], frag, pack_b(b));
            }
        }
        // The skip, the gate, and each scan warp's sum of squares over its channels (whole n-tiles, or lanes of one).
#ifdef MMR_BF16
        copy_async_wait();
        __syncwarp();
#endif
#pragma unroll
        for (int half = 0; half < 2; half++) {
            const int t = t0 + g + 8 * half;
            const long long row = firstRow + t;
#ifdef MMR_BF16
            const act_t* zRow = zSpan + (g + 8 * half) * MMR_Z_STRIDE;
#else
            // The row's z values of MMR_GATE_TILES n-tiles are loaded before any is used, so that their loads are in
            // flight together (loaded one pair at a time beside their use, their wait was a third of the kernel's
            // stalls). Past the tokens the loads read the last token's row, and past di (zColumns 0) its first column:
            // in bounds, and not used (loaded only where used, nvcc's TF32 build with N = 256 spilled 8 bytes).
            const act_t* zRow = in + (long long) (t < tokens ? t : tokens - 1) * inStride;
#endif
#pragma unroll
            for (int nt0 = 0; nt0 < MMR_TENSOR_TILES; nt0 += MMR_GATE_TILES) {
                float z[MMR_GATE_TILES][2];
#pragma unroll
                for (int u = 0; u < MMR_GATE_TILES; u++) {
                    // A lane's two channels (2q, 2q + 1) of one head: adjacent z columns, the first even.
#ifdef MMR_BF16
                    load_act_pair(zRow + 8 * (nt0 + u) + 2 * q, z[u][0], z[u][1]);
#else
                    load_act_pair(zRow + zColumns[8 * (nt0 + u) + 2 * q], z[u][0], z[u][1]);
#endif
                }
#pragma unroll
                for (int u = 0; u < MMR_GATE_TILES; u++) {
                    // A lane's two channels are adjacent (2q, 2q + 1); di and c0 are even, so the second is inside
                    // di whenever the first is.
                    const int nt = nt0 + u;
                    const int c = 8 * nt + 2 * q;
                    float gate[2] = {0.0f, 0.0f};
                    if (t < tokens && c0 + c < di) {
#pragma unroll
                        for (int k = 0; k < 2; k++) {
                            const float y = fmaf(skips[c + k], xs[(c + k) * xStride + t], acc[nt][2 * half + k]);
                            gate[k] = y * silu(z[u][k]);
                        }
                    }
                    acc[nt][2 * half] = gate[0];
                    acc[nt][2 * half + 1] = gate[1];
                }
                store_gate_tiles<MMR_GATE_TILES>(gated + row * di, acc, nt0, half, t < tokens, c0, di, q);
            }
#pragma unroll
            for (int nt0 = 0; nt0 < MMR_TENSOR_TILES; nt0 += MMR_TENSOR_GROUP_TILES) {
                float sum = 0.0f;
#pragma unroll
                for (int nt = nt0; nt < nt0 + MMR_TENSOR_GROUP_TILES; nt++) {
                    sum = fmaf(acc[nt][2 * half], acc[nt][2 * half], sum);
                    sum = fmaf(acc[nt][2 * half + 1], acc[nt][2 * half + 1], sum);
                }
#pragma unroll
                for (int offset = 1; offset < MMR_TENSOR_GROUP_LANES; offset <<= 1) {
                    sum += __shfl_xor_sync(0xffffffffu, sum, offset);
                }
                const int channel = c0 + 8 * nt0 + 2 * q;
                if (t < tokens && channel < di && q % MMR_TENSOR_GROUP_LANES == 0) {
                    squares[row * squaresStride + channel / MMR_CHANNELS_PER_WARP] = sum;
                }
            }
        }
    }
}
