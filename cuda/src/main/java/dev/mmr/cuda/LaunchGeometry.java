package dev.mmr.cuda;

/**
 * Grid and block sizes of the kernels' 1-D launches. Each kernel checks its own bound, so a grid may overshoot.
 *
 * @param grid   blocks
 * @param block  threads per block
 * @param shared bytes of dynamic shared memory per block (0 but for the tensor scan)
 */
record LaunchGeometry(int grid, int block, int shared) {
    static final int WARP = 32;
    /** Threads per block of element-wise and row-wise kernels. */
    static final int BLOCK = 256;
    /** Threads per block of the scan: its warps share each token's B and C, staged in shared memory. */
    static final int SCAN_BLOCK = 128;
    /** Channels and threads of a tensor scan block (8 warps, each a span of 16 output tokens at a time). */
    static final int TENSOR_CHANNELS = 64;
    static final int TENSOR_BLOCK = 256;
    /**
     * Words a tensor scan block's xc rows hold past the padded tokens (P, a multiple of 16). A row stride of P + 5 is
     * odd, so 32 channels' same token fall in 32 banks (the writes of x's convolution). The products' B operands
     * (lane (g, q) reads channel g at token 4q + e, one e at a time) then meet at most two to a bank, as with any odd
     * stride: only channels g and g + 4 fall in banks of the same residue modulo 4, each in four different ones. And
     * the stride being 5 or 21 modulo 32 keeps the skip's reads (lane (g, q): channel 2q, then 2q + 1, at token g) at
     * two to a bank as well, where 1, 15, 17 or 31 would make them four.
     */
    static final int TENSOR_ROW_PAD = 5;
    /**
     * Channels a bf16 tensor scan block's staged z rows (each warp's 16 tokens) hold past the group's. The epilogue's
     * lane (g, q) reads row g at channels 8 nt + 2q, 2q + 1 (one 4-byte word): with rows of 64 + 8 bfloat16 (36 words)
     * the eight rows start 4 banks apart and the 32 lanes meet 32 banks; rows of 64 would put all eight in one.
     */
    static final int TENSOR_Z_PAD = 8;
    /** Dynamic shared memory a block may have on Hopper (227 KB). */
    static final int MAX_SHARED = 227 * 1024;
    /**
     * Shared memory of a Hopper SM (228 KB), of which the system keeps {@link #BLOCK_RESERVED_SHARED} for each resident
     * block: the tensor scan wants two blocks an SM, so a block may have at most 113 KB.
     */
    static final int SM_SHARED = 228 * 1024;
    static final int BLOCK_RESERVED_SHARED = 1024;

    LaunchGeometry {
        if (grid <= 0 || block <= 0 || block % WARP != 0 || shared < 0 || shared > MAX_SHARED) {
            throw new IllegalArgumentException("bad launch " + grid + " x " + block + " with " + shared + " bytes shared");
        }
    }

    LaunchGeometry(int grid, int block) {
        this(grid, block, 0);
    }

    /** One thread per element. */
    static LaunchGeometry perElement(long elements) {
        return of(elements, BLOCK);
    }

    /** One warp per row. */
    static LaunchGeometry perRow(long rows) {
        return of(rows * WARP, BLOCK);
    }

    /** The scan at inner width {@code di}: per image, blocks of {@code channelsPerBlock} channels, the last one partly idle. */
    static LaunchGeometry scan(int batch, int di, int channelsPerBlock) {
        long blocksPerImage = (di + channelsPerBlock - 1) / channelsPerBlock;
        return of(batch * blocksPerImage * SCAN_BLOCK, SCAN_BLOCK);
    }

    /**
     * The tensor scan at inner width {@code di}: a block per image and group of {@code TENSOR_CHANNELS} channels, with
     * {@link #tensorShared} bytes of shared memory.
     */
    static LaunchGeometry tensor(int batch, int tokens, int di, int headdim, boolean bf16) {
        long blocks = (long) batch * Math.ceilDiv(di, TENSOR_CHANNELS);
        LaunchGeometry g = of(blocks * TENSOR_BLOCK, TENSOR_BLOCK);
        return new LaunchGeometry(g.grid(), g.block(), tensorShared(tokens, headdim, bf16));
    }

    /**
     * Bytes of a tensor scan block's shared memory (mixer.cu, ssd_tensor), in 4-byte words: with P the tokens rounded
     * up to 16 and H = {@link #spanHeads} heads, three tables of the channels (their heads, z columns and skips), xc
     * (channels x (P + TENSOR_ROW_PAD)), then a region that holds x as in_proj wrote it (tokens x channels
     * activations, 2 or 4 bytes) while it is convolved and then the prologue's tables, whichever is larger: the B
     * operands of the P / 16 - 1 spans before the last, and of the last too in bf16 builds whose heads are whole
     * n-tiles (TENSOR_CHANNELS / 8 n-tiles x 32 lanes x 2 words in bf16 builds, 4 in TF32 ones), two tables of H x P,
     * one of P / 16 x channels and one of H x ceil(P / 32) (the decay sums' round totals); in bf16 builds, between xc
     * and that region, each warp's z for 16 tokens (16 x (channels + TENSOR_Z_PAD) bfloat16), room that holds the B
     * operands' factors (H x P words) before the spans start. Refused where two blocks would not fit an SM, or the
     * factors would not fit that room.
     */
    static int tensorShared(int tokens, int headdim, boolean bf16) {
        if (!factorsFit(tokens, headdim, bf16)) {
            throw new IllegalArgumentException("the tensor scan's bf16 build keeps its B factors in the staged z's "
                    + "room: " + spanHeads(headdim) + " heads of " + headdim + " channels over " + tokens + " tokens need "
                    + factorWords(tokens, headdim) + " words, more than its " + stagedZWords(true));
        }
        long bytes = tensorSharedBytes(tokens, headdim, bf16);
        if (!fitsTwoBlocks(bytes)) {
            throw new IllegalArgumentException("the tensor scan holds an image's tokens in shared memory: " + tokens
                    + " tokens need " + bytes + " bytes a block, more than the " + (SM_SHARED / 2 - BLOCK_RESERVED_SHARED)
                    + " with which two blocks fit an SM");
        }
        return (int) bytes;
    }

    /** Whether the tensor scan can run {@code tokens} tokens with heads of {@code headdim} channels ({@link #tensorShared}). */
    static boolean tensorFits(int tokens, int headdim, boolean bf16) {
        return factorsFit(tokens, headdim, bf16) && fitsTwoBlocks(tensorSharedBytes(tokens, headdim, bf16));
    }

    /** Words of the warps' staged z in bf16 builds (16 tokens x (channels + TENSOR_Z_PAD) bfloat16 each), else 0. */
    private static long stagedZWords(boolean bf16) {
        return bf16 ? TENSOR_BLOCK / WARP * 16 * (TENSOR_CHANNELS + TENSOR_Z_PAD) * Short.BYTES / Float.BYTES : 0;
    }

    /** Words of a bf16 build's B factors (mixer.cu's spanFactors): H span heads x P padded tokens. */
    private static long factorWords(int tokens, int headdim) {
        return spanHeads(headdim) * (Math.ceilDiv(tokens, 16) * 16L);
    }

    /** Whether a bf16 build's B factors fit the staged z's room. */
    private static boolean factorsFit(int tokens, int headdim, boolean bf16) {
        return !bf16 || factorWords(tokens, headdim) <= stagedZWords(true);
    }

    private static boolean fitsTwoBlocks(long sharedBytes) {
        return 2 * (sharedBytes + BLOCK_RESERVED_SHARED) <= SM_SHARED;
    }

    /**
     * The most heads of {@code headdim} channels a tensor scan group touches, its first channel a multiple of
     * TENSOR_CHANNELS (mixer.cu, span_heads): where headdim divides the group, exactly its heads; otherwise a group
     * may straddle one head more than it holds whole.
     */
    static int spanHeads(int headdim) {
        return (TENSOR_CHANNELS - 1) / headdim + 1 + (TENSOR_CHANNELS % headdim != 0 ? 1 : 0);
    }

    private static long tensorSharedBytes(int tokens, int headdim, boolean bf16) {
        long padded = Math.ceilDiv(tokens, 16) * 16L;
        long spans = padded / 16;
        long heads = spanHeads(headdim);
        // bf16 builds whose n-tiles lie within heads pack the last span's operands too (mixer.cu, MMR_PACKED_DIAGONAL)
        long packed = bf16 && KernelBuild.headsAreWholeTiles(headdim) ? spans : spans - 1;
        long operands = packed * (TENSOR_CHANNELS / 8) * WARP * (bf16 ? 2 : 4);
        long tables = operands + 2 * heads * padded + spans * TENSOR_CHANNELS + heads * Math.ceilDiv(padded, 32);
        long staged = Math.ceilDiv((long) tokens * TENSOR_CHANNELS * (bf16 ? Short.BYTES : Float.BYTES), Float.BYTES);
        long zs = stagedZWords(bf16);
        return (3 * TENSOR_CHANNELS + TENSOR_CHANNELS * (padded + TENSOR_ROW_PAD) + zs + Math.max(tables, staged))
                * Float.BYTES;
    }

    /** Warps the launch starts: what a warp-per-item kernel covers. */
    long warps() {
        return (long) grid * block / WARP;
    }

    private static LaunchGeometry of(long threads, int block) {
        long grid = (threads + block - 1) / block;
        if (threads <= 0 || grid > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("launch of " + threads + " threads does not fit one grid");
        }
        return new LaunchGeometry((int) grid, block);
    }
}
