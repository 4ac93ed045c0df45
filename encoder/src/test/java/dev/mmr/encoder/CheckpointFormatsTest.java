package dev.mmr.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The golden-tiny weights load identically from every accepted format: PyTorch's zip {@code pytorch_model.bin}
 * (with the {@code module.} prefix of multi-GPU training) and half-precision safetensors, all written by PyTorch
 * (encoder/src/test/python/make_fixtures.py).
 */
class CheckpointFormatsTest {

    @Test
    void torchZipHoldsExactlyTheSafetensorsWeights() throws Exception {
        Checkpoint reference = Checkpoint.read(TestPaths.goldenTiny());
        Checkpoint bin = Checkpoint.read(TestPaths.resource("checkpoints/golden-tiny-bin"));
        assertEquals(reference.config(), bin.config());
        assertEquals(reference.preprocessing(), bin.preprocessing());
        assertEquals(reference.names(), bin.names());
        for (String name : reference.names()) {
            assertArrayEquals(reference.tensor(name).shape(), bin.tensor(name).shape(), name);
            assertArrayEquals(reference.tensor(name).data(), bin.tensor(name).data(), name);
        }
        assertNotEquals(reference.fingerprint(), bin.fingerprint());
    }

    @Test
    void halfPrecisionSafetensorsHoldTheWeightsRoundedByPyTorch() throws Exception {
        Checkpoint reference = Checkpoint.read(TestPaths.goldenTiny());
        Checkpoint half = Checkpoint.read(TestPaths.resource("checkpoints/golden-tiny-half"));
        int bf16 = 0;
        for (String name : reference.names()) {
            float[] f32 = reference.tensor(name).data();
            float[] got = half.tensor(name).data();
            boolean isBf16 = name.endsWith("in_proj.weight") || name.endsWith("out_proj.weight")
                    || name.equals("patch_embed.proj.weight") || name.equals("head.weight");
            bf16 += isBf16 ? 1 : 0;
            float[] expected = new float[f32.length];
            for (int i = 0; i < f32.length; i++) {
                expected[i] = isBf16 ? roundToBf16(f32[i]) : Float.float16ToFloat(Float.floatToFloat16(f32[i]));
            }
            assertArrayEquals(expected, got, name);
        }
        assertEquals(2 + 2 * 4, bf16);
    }

    @Test
    void halfPrecisionEdgeValuesDecodeAsPyTorchReadsThem() throws Exception {
        Map<String, Tensor> t = SafeTensors.read(TestPaths.resource("checkpoints/dtypes.safetensors"));
        for (String name : new String[] {"f16", "bf16"}) {
            float[] expected = t.get(name + ".f32").data();
            float[] got = t.get(name).data();
            assertEquals(17, got.length);
            for (int i = 0; i < expected.length; i++) {
                // Bitwise, so that -0, subnormals, infinities and NaN all count.
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(got[i]), name + "[" + i + "] = " + got[i]);
            }
        }
    }

    @Test
    void torchViewsAreGatheredThroughOffsetAndStrides() throws Exception {
        Map<String, Tensor> views = TorchZipCheckpoint.read(TestPaths.resource("checkpoints/torch-views.bin"));
        Map<String, Tensor> expected = SafeTensors.read(TestPaths.resource("checkpoints/torch-views.expected.safetensors"));
        assertEquals(expected.keySet(), views.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).shape(), views.get(name).shape(), name);
            assertArrayEquals(expected.get(name).data(), views.get(name).data(), name);
        }
        assertArrayEquals(new long[] {6, 4}, views.get("transposed").shape());
        assertTrue(views.get("scalar").shape().length == 0 && views.get("scalar").data()[0] == 7.5f);
    }

    /** float32 to bfloat16 and back, rounding to nearest even as PyTorch does (finite inputs). */
    private static float roundToBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }
}
