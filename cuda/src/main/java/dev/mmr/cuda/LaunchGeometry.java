package dev.mmr.cuda;

/**
 * Grid and block sizes of the kernels' 1-D launches. Each kernel checks its own bound, so a grid may overshoot.
 *
 * @param grid  blocks
 * @param block threads per block
 */
record LaunchGeometry(int grid, int block) {
    static final int WARP = 32;
    /** Threads per block of element-wise and row-wise kernels. */
    static final int BLOCK = 256;
    /** Threads per block of the scan: its warps share each token's B and C, staged in shared memory. */
    static final int SCAN_BLOCK = 128;
    /** Tokens x channels of the output tile one block of the tiled scan computes, 4 x 4 a thread. */
    static final int TILE_TOKENS = 64;
    static final int TILE_CHANNELS = 64;

    LaunchGeometry {
        if (grid <= 0 || block <= 0 || block % WARP != 0) {
            throw new IllegalArgumentException("bad launch " + grid + " x " + block);
        }
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
     * The tiled scan at inner width {@code di}: a block per image, tile of {@code TILE_TOKENS} tokens and group of
     * {@code TILE_CHANNELS} channels, a thread per 4 x 4 outputs.
     */
    static LaunchGeometry tiled(int batch, int tokens, int di) {
        long tiles = (long) batch * Math.ceilDiv(tokens, TILE_TOKENS) * Math.ceilDiv(di, TILE_CHANNELS);
        int block = TILE_TOKENS * TILE_CHANNELS / 16;
        return of(tiles * block, block);
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
