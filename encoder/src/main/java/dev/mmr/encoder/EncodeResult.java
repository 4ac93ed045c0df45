package dev.mmr.encoder;

import java.util.List;

/**
 * What one submodel made of an {@link EncodeBatch}: the embedding of every image that could be used and the failure of
 * every other, both in batch order; {@code index} is the image's position in the batch.
 *
 * @param encodeNanos time spent in the network alone (decoding excluded), for per-submodel images/s
 */
public record EncodeResult(Submodel submodel, List<Embedded> embedded, List<Failure> failures, long encodeNanos) {
    public EncodeResult {
        embedded = List.copyOf(embedded);
        failures = List.copyOf(failures);
    }

    /** One image's L2-normalised embedding (D floats) and its class logits. */
    public record Embedded(int index, String id, float[] embedding, float[] logits) {
        /** The class with the highest logit (the lowest index among ties). */
        public int predictedClass() {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    /** One image that could not be encoded: not a decodable image, or pixels of the wrong size. */
    public record Failure(int index, String id, Exception cause) {
        public String message() {
            return cause.getMessage();
        }
    }
}
