package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mmr.cuda.WorkspaceLayout.Buffer;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.Precision;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The workspace holds every buffer of a pass at full width, disjoint and aligned, sized as the CPU network's buffers;
 * the tensor scan's only where it may run.
 */
class WorkspaceLayoutTest {
    private static final ModelConfig M35 = new ModelConfig(512, 20, 1000, 16, 224, 128, 4, 2, 1e-5);
    private static final KernelBuild FP32 = KernelBuild.of(M35, 90, Precision.FP32);
    private static final KernelBuild BF16 = KernelBuild.of(M35, 90, Precision.BF16);

    @ParameterizedTest
    @EnumSource(ScanForm.class)
    void buffersAreDisjointAlignedAndInsideTheWorkspace(ScanForm scan) {
        WorkspaceLayout layout = new WorkspaceLayout(M35, FP32, 256, scan);
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
        WorkspaceLayout layout = new WorkspaceLayout(M35, FP32, batch, ScanForm.RECURRENT);
        long rows = batch * 197L;
        assertEquals(batch * 3L * 224 * 224 * 4, layout.bytes(Buffer.PIXELS));
        assertEquals(batch * 196L * 768 * 4, layout.bytes(Buffer.PATCHES));
        assertEquals(rows * 512 * 4, layout.bytes(Buffer.RESIDUAL));
        // in_proj's product: rows x (2N + 64 heads x (z 16 + x 16 + dt 1)); B, C after the conv: rows x 2N; dt's step
        // and decay: rows x 64 heads x 2; the scan's sums of squares: rows x 64 warps of 16 channels (N 128 = 2 lanes).
        assertEquals(rows * (256 + 64 * 33) * 4, layout.bytes(Buffer.IN_PROJ));
        assertEquals(rows * 64 * 2 * 4, layout.bytes(Buffer.DT));
        assertEquals(rows * 64 * 4, layout.bytes(Buffer.SQUARES));
        assertEquals(rows * 256 * 4, layout.bytes(Buffer.BC));
        assertEquals(batch * 1000L * 4, layout.bytes(Buffer.LOGITS));
    }

    @Test
    void bf16HalvesOnlyTheProductInputsThePixelsAndInProjsOutput() {
        WorkspaceLayout f32 = new WorkspaceLayout(M35, FP32, 16, ScanForm.TENSOR);
        WorkspaceLayout bf16 = new WorkspaceLayout(M35, BF16, 16, ScanForm.TENSOR);
        for (Buffer b : Buffer.values()) {
            boolean activations = b == Buffer.PIXELS || b == Buffer.PATCHES || b == Buffer.U || b == Buffer.GATED
                    || b == Buffer.IN_PROJ;
            assertEquals(activations ? f32.bytes(b) / 2 : f32.bytes(b), bf16.bytes(b), b.name());
        }
    }

    @Test
    void theTensorScanTakesCbAloneAndOnlyWhereItMayRun() {
        int batch = 256;
        WorkspaceLayout recurrent = new WorkspaceLayout(M35, FP32, batch, ScanForm.RECURRENT);
        WorkspaceLayout tensor = new WorkspaceLayout(M35, BF16, batch, ScanForm.TENSOR);
        WorkspaceLayout auto = new WorkspaceLayout(M35, BF16, batch, ScanForm.AUTO);
        assertEquals(0, recurrent.bytes(Buffer.CB));
        assertFalse(recurrent.buffers().contains(Buffer.CB));
        assertTrue(tensor.buffers().contains(Buffer.CB));
        assertEquals(tensor.bytes(Buffer.CB), auto.bytes(Buffer.CB));
        // CB 197 float32 rows an image, each padded to 200 (a multiple of 4, for 16-byte loads).
        assertEquals(batch * 197L * 200 * 4, tensor.bytes(Buffer.CB));
        // 35M, batch 256: CB 40 MB over the recurrent scan's workspace, and nothing else.
        WorkspaceLayout recurrentBf16 = new WorkspaceLayout(M35, BF16, batch, ScanForm.RECURRENT);
        assertEquals(tensor.bytes(Buffer.CB), tensor.total() - recurrentBf16.total(), WorkspaceLayout.ALIGN);
        assertEquals(0.040e9, tensor.total() - recurrentBf16.total(), 0.001e9);
    }

    @Test
    void cbRowsArePaddedToWholeSixteenByteWords() {
        assertEquals(4, WorkspaceLayout.cbStride(1));
        assertEquals(64, WorkspaceLayout.cbStride(64));
        assertEquals(68, WorkspaceLayout.cbStride(65));
        assertEquals(200, WorkspaceLayout.cbStride(197));
        assertEquals(1028, WorkspaceLayout.cbStride(1025));
    }

    @Test
    void aBatchOf256At224PixelsNeedsAFewGigabytes() {
        long bytes = new WorkspaceLayout(M35, FP32, 256, ScanForm.RECURRENT).total();
        assertTrue(bytes > 1L << 30 && bytes < 4L << 30, "35M batch 256 workspace " + bytes);
        assertThrows(IllegalArgumentException.class, () -> new WorkspaceLayout(M35, FP32, 0, ScanForm.RECURRENT));
    }
}
