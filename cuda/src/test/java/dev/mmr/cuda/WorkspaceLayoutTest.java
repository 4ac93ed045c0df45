package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.ModelConfig;
import org.junit.jupiter.api.Test;

/** The workspace holds every buffer of a pass at full width, disjoint and aligned, sized as the CPU network's buffers. */
class WorkspaceLayoutTest {
    private static final ModelConfig M35 = new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5);

    @Test
    void buffersAreDisjointAlignedAndInsideTheWorkspace() {
        WorkspaceLayout layout = new WorkspaceLayout(M35, 256, Float.BYTES);
        long end = 0;
        for (Buffer b : Buffer.values()) {
            long at = layout.offset(b);
            assertEquals(0, at % WorkspaceLayout.ALIGN, b + " offset");
            assertTrue(at >= end, b + " overlaps the buffer before it");
            end = at + layout.bytes(b);
        }
        assertTrue(end <= layout.total());
        assertTrue(layout.total() - end < WorkspaceLayout.ALIGN);
    }

    @Test
    void sizesFollowTheNetworksBuffersAtFullWidth() {
        int batch = 3;
        WorkspaceLayout layout = new WorkspaceLayout(M35, batch, Float.BYTES);
        long rows = batch * 197L;
        assertEquals(batch * 3L * 224 * 224 * 4, layout.bytes(Buffer.PIXELS));
        assertEquals(batch * 196L * 768 * 4, layout.bytes(Buffer.PATCHES));
        assertEquals(rows * 512 * 4, layout.bytes(Buffer.RESIDUAL));
        // z, x, xc, y: rows x dInner; [B, C, dt]: rows x (2N + 64 heads); B, C after the conv: rows x 2N.
        assertEquals(rows * 1024 * 4, layout.bytes(Buffer.Z));
        assertEquals(rows * 1024 * 4, layout.bytes(Buffer.Y));
        assertEquals(rows * (256 + 64) * 4, layout.bytes(Buffer.BCDT));
        assertEquals(rows * 256 * 4, layout.bytes(Buffer.BC));
        assertEquals(batch * 1000L * 4, layout.bytes(Buffer.LOGITS));
    }

    @Test
    void bf16HalvesOnlyTheProductInputs() {
        WorkspaceLayout f32 = new WorkspaceLayout(M35, 16, Float.BYTES);
        WorkspaceLayout bf16 = new WorkspaceLayout(M35, 16, Short.BYTES);
        for (Buffer b : Buffer.values()) {
            boolean productInput = b == Buffer.PATCHES || b == Buffer.U || b == Buffer.GATED;
            assertEquals(productInput ? f32.bytes(b) / 2 : f32.bytes(b), bf16.bytes(b), b.name());
        }
    }

    @Test
    void aBatchOf256At224PixelsNeedsAFewGigabytes() {
        long bytes = new WorkspaceLayout(M35, 256, Float.BYTES).total();
        assertTrue(bytes > 1L << 30 && bytes < 4L << 30, "35M batch 256 workspace " + bytes);
        assertThrows(IllegalArgumentException.class, () -> new WorkspaceLayout(M35, 0, Float.BYTES));
    }
}
