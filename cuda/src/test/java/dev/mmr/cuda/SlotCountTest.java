package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How many calls the backend lets run at once, from the device's free memory and one call's workspace. */
class SlotCountTest {
    private static final long GB = 1L << 30;

    @Test
    void halfTheFreeMemoryInWorkspacesBetweenOneAndTheMaximum() {
        assertEquals(CudaBackend.MAX_SLOTS, CudaBackend.slots(130 * GB, 2 * GB));
        assertEquals(2, CudaBackend.slots(10 * GB, 2 * GB));
        assertEquals(1, CudaBackend.slots(5 * GB, 2 * GB));
        assertEquals(1, CudaBackend.slots(1 * GB, 2 * GB));
    }
}
