package dev.mmr.encoder;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The floating-point storage types a checkpoint may hold; all are widened to float32 on reading. */
enum DType {
    F32(4), F16(2), BF16(2);

    final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Decodes {@code count} little-endian values from the buffer's current position. */
    float[] decode(ByteBuffer buffer, int count) {
        ByteBuffer in = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[count];
        switch (this) {
            case F32 -> in.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.float16ToFloat(in.getShort(2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat((in.getShort(2 * i) & 0xffff) << 16);
                }
            }
        }
        return out;
    }
}
