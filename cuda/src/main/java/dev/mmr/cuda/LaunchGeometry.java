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
