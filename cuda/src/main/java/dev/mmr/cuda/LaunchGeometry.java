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
    /** Threads per block of the scan: few warps, so a block's warps share B and C rows in L1 yet blocks spread. */
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

    /** One warp per (image, group of {@code channelsPerWarp} channels): the scan at inner width {@code di}. */
    static LaunchGeometry scan(int batch, int di, int channelsPerWarp) {
        if (di % channelsPerWarp != 0) {
            throw new IllegalArgumentException(di + " channels do not split into groups of " + channelsPerWarp);
        }
        return of((long) batch * (di / channelsPerWarp) * WARP, SCAN_BLOCK);
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
