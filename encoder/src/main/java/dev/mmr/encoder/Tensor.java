package dev.mmr.encoder;

import java.util.Arrays;

/** One weight tensor of a checkpoint, converted to float32, row-major (C order) over {@code shape}. */
public record Tensor(long[] shape, float[] data) {

    public Tensor {
        shape = shape.clone();
        if (numel(shape) != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + numel(shape)
                    + " values but " + data.length + " were given");
        }
    }

    @Override public long[] shape() {
        return shape.clone();
    }

    /** Number of values a tensor of this shape holds; {@link ArithmeticException} on overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
