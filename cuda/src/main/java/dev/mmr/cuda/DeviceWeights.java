package dev.mmr.cuda;

import dev.mmr.encoder.Checkpoint;
import dev.mmr.encoder.ModelConfig;
import dev.mmr.encoder.WeightSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint's weights on the device, uploaded once. The three product weights (patch embedding, in_proj, out_proj)
 * are kept in the product precision (float32, or bfloat16 in bf16 mode) in their stored row-major layout, so every
 * nested slice is a pointer offset and leading dimension ({@link LayerProducts}); everything else is float32.
 * in_proj's rows are reordered so each nested width's product is one block ({@link LayerProducts}); out_proj carries the
 * gated RMSNorm's weight in its columns (see {@link #foldedOutProj}).
 * {@code A = -exp(A_log)} is computed here once, as the CPU network does.
 */
final class DeviceWeights implements AutoCloseable {
    private final DeviceMemory memory;
    private final List<Long> allocations = new ArrayList<>();
    private final Map<String, long[]> shapes;
    private final WeightSource source;
    private final boolean bf16;
    private long bytes;

    private final WeightAddresses addresses;

    DeviceWeights(ModelConfig config, WeightSource source, boolean bf16, DeviceMemory memory) {
        this.memory = memory;
        this.shapes = Checkpoint.expectedShapes(config);
        this.source = source;
        this.bf16 = bf16;
        try {
            long patchWeight = product(tensor("patch_embed.proj.weight"), "patch_embed.proj.weight");
            long patchBias = plain("patch_embed.proj.bias");
            long clsToken = plain("cls_token");
            long posEmbed = plain("pos_embed");
            WeightAddresses.Layer[] layers = new WeightAddresses.Layer[config.nLayer()];
            for (int i = 0; i < layers.length; i++) {
                String m = "layers." + i + ".mixer.";
                float[] aLog = tensor(m + "A_log");
                float[] a = new float[aLog.length];
                for (int j = 0; j < a.length; j++) {
                    a[j] = (float) -Math.exp(aLog[j]);
                }
                layers[i] = new WeightAddresses.Layer(plain("layers." + i + ".norm.weight"), plain("layers." + i + ".norm.bias"),
                        product(reorderedInProj(config, m), m + "in_proj.weight"), plain(m + "conv1d.weight"),
                        plain(m + "conv1d.bias"), plain(m + "dt_bias"), upload(a), plain(m + "D"),
                        product(foldedOutProj(m), m + "out_proj.weight"));
            }
            addresses = new WeightAddresses(patchWeight, patchBias, clsToken, posEmbed, layers, plain("norm_f.weight"),
                    plain("norm_f.bias"), plain("head.weight"), plain("head.bias"));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    WeightAddresses addresses() {
        return addresses;
    }

    /** Device bytes the weights hold. */
    long bytes() {
        return bytes;
    }

    /** A tensor's values, checked against the shape the config implies. */
    private float[] tensor(String name) {
        long[] shape = shapes.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no tensor " + name + " in this architecture");
        }
        float[] data = source.tensor(name);
        long expected = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (data == null || data.length != expected) {
            throw new IllegalArgumentException(name + ": expected " + expected + " values " + Arrays.toString(shape)
                    + ", got " + (data == null ? "none" : data.length));
        }
        return data;
    }

    private long plain(String name) {
        return upload(tensor(name));
    }

    /**
     * out_proj with the gated RMSNorm's weight w folded into its columns, {@code W[r][c] * w[c]}: the scan leaves the
     * gate unweighted and add_layer_norm applies the norm's per-row factor to the product. A nested width's first
     * {@code di} columns and w's first {@code di} values go together, as in the CPU network.
     */
    private float[] foldedOutProj(String mixer) {
        float[] weight = tensor(mixer + "norm.weight");
        float[] folded = tensor(mixer + "out_proj.weight").clone();
        for (int i = 0; i < folded.length; i++) {
            folded[i] *= weight[i % weight.length];
        }
        return folded;
    }

    /** in_proj's rows in the device's order ({@link LayerProducts#inProjRowOrder}). */
    private float[] reorderedInProj(ModelConfig config, String mixer) {
        float[] stored = tensor(mixer + "in_proj.weight");
        int[] order = LayerProducts.inProjRowOrder(config);
        int cols = config.dModel();
        float[] reordered = new float[order.length * cols];  // rows of -1 stay zero
        for (int r = 0; r < order.length; r++) {
            if (order[r] >= 0) {
                System.arraycopy(stored, order[r] * cols, reordered, r * cols, cols);
            }
        }
        return reordered;
    }

    private long product(float[] data, String name) {
        if (!bf16) {
            return upload(data);
        }
        short[] packed = Bf16.pack(data);
        long address = allocate((long) packed.length * Short.BYTES, name);
        memory.upload(address, packed);
        return address;
    }

    private long upload(float[] data) {
        long address = allocate((long) data.length * Float.BYTES, "weights");
        memory.upload(address, data);
        return address;
    }

    private long allocate(long size, String what) {
        long address = memory.allocate(size, what);
        allocations.add(address);
        bytes += size;
        return address;
    }

    @Override public void close() {
        for (long address : allocations) {
            memory.free(address);
        }
        allocations.clear();
    }
}
