package dev.mmr.encoder;

/**
 * Runs the MatMamba-Vision network of one checkpoint on batches of preprocessed images, at any nested width.
 * Implementations are thread-safe: up to {@link #concurrency()} calls of {@link #forward} may usefully run at once.
 */
public interface EncoderBackend extends AutoCloseable {

    /** What runs the network, for logs and reports: e.g. {@code "cpu: ND4J + Java Vector API, 2 threads"}. */
    String description();

    /** The batch size at which this backend reaches its throughput; callers size their batches from it. */
    int preferredBatch();

    /** How many {@link #forward} calls may usefully run at once; callers size their encode workers from it. */
    int concurrency();

    /**
     * Runs the network on {@code batch} preprocessed images ({@code batch x 3 x S x S} floats, NCHW row-major) with
     * mixer width {@code widths[i]} in layer i. The caller has validated the widths against the model's config.
     */
    NetworkOutput forward(float[] pixels, int batch, int[] widths);

    /** Frees what the weights hold (native or device memory); the backend must not be used afterwards. */
    @Override void close();
}
