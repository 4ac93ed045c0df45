package dev.mmr.indexer;

import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;

/**
 * How a new index builds its HNSW graph. Fixed when the index is created and recorded in its commit data.
 *
 * @param maxConnections HNSW neighbours per node (Lucene's M)
 * @param beamWidth      candidates considered while inserting (efConstruction)
 */
public record IndexSettings(int maxConnections, int beamWidth, Quantization quantization) {
    public static final IndexSettings DEFAULT =
            new IndexSettings(Lucene99HnswVectorsFormat.DEFAULT_MAX_CONN, Lucene99HnswVectorsFormat.DEFAULT_BEAM_WIDTH, Quantization.NONE);

    public IndexSettings {
        if (maxConnections < 2 || maxConnections > Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN)
            throw new IllegalArgumentException("max connections must be in 2.." + Lucene99HnswVectorsFormat.MAXIMUM_MAX_CONN + ", got " + maxConnections);
        if (beamWidth < 1 || beamWidth > Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH)
            throw new IllegalArgumentException("beam width must be in 1.." + Lucene99HnswVectorsFormat.MAXIMUM_BEAM_WIDTH + ", got " + beamWidth);
        java.util.Objects.requireNonNull(quantization, "quantization");
    }
}
