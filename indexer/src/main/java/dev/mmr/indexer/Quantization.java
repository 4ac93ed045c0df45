package dev.mmr.indexer;

import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104ScalarQuantizedVectorsFormat.ScalarEncoding;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * How the HNSW graph's vectors are stored for scoring. Every option also keeps the raw float32 vectors, which
 * {@link ImageIndex#vector} and exact search read.
 */
public enum Quantization {
    /** float32 vectors. */
    NONE,
    /** 7-bit scalar quantization (Lucene's SEVEN_BIT): about 4x smaller graph vectors. */
    INT7,
    /** 4-bit scalar quantization (PACKED_NIBBLE): about 8x smaller. */
    INT4,
    /** 1 bit per dimension for documents, 4-bit queries (SINGLE_BIT_QUERY_NIBBLE): about 32x smaller. */
    BINARY;

    /**
     * The vectors format, building each merged segment's HNSW graph with {@code mergeWorkers} workers. The workers run
     * on the merge scheduler's intra-merge executor (Lucene passes it to the format's writer when the format is given
     * no executor of its own), so a merge uses only the threads the scheduler allows it. The worker count changes how
     * a merge is run, not the index format: it is not recorded.
     */
    KnnVectorsFormat format(int maxConnections, int beamWidth, int mergeWorkers) {
        return switch (this) {
            case NONE -> new Lucene99HnswVectorsFormat(maxConnections, beamWidth, mergeWorkers, null);
            case INT7 -> scalar(ScalarEncoding.SEVEN_BIT, maxConnections, beamWidth, mergeWorkers);
            case INT4 -> scalar(ScalarEncoding.PACKED_NIBBLE, maxConnections, beamWidth, mergeWorkers);
            case BINARY -> scalar(ScalarEncoding.SINGLE_BIT_QUERY_NIBBLE, maxConnections, beamWidth, mergeWorkers);
        };
    }

    private static KnnVectorsFormat scalar(ScalarEncoding encoding, int maxConnections, int beamWidth, int mergeWorkers) {
        return new Lucene104HnswScalarQuantizedVectorsFormat(encoding, maxConnections, beamWidth, mergeWorkers, null);
    }

    /** The lower-case name used on the command line and in commit data. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Quantization parse(String key) {
        for (Quantization q : values()) if (q.key().equalsIgnoreCase(key)) return q;
        throw new IllegalArgumentException("unknown quantization '" + key + "': use none, int7, int4 or binary");
    }
}
