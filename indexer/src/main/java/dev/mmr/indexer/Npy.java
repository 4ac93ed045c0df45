package dev.mmr.indexer;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Writes numpy's {@code .npy} format (version 1.0) for a little-endian float32 matrix, streamed row by row. */
public final class Npy implements AutoCloseable {
    private final DataOutputStream out;
    private final int columns;
    private final ByteBuffer row;
    private final long rows;
    private long written;

    /** Writes the header for a {@code rows x columns} float32 C-order matrix; then call {@link #writeRow} rows times. */
    public Npy(OutputStream out, long rows, int columns) throws IOException {
        this.out = new DataOutputStream(out);
        this.rows = rows;
        this.columns = columns;
        this.row = ByteBuffer.allocate(columns * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + columns + "), }";
        int unpadded = 6 + 2 + 2 + dict.length() + 1;  // magic, version, header length, dict, newline
        int padding = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(padding) + "\n";
        this.out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        this.out.write(header.length() & 0xff);
        this.out.write(header.length() >>> 8);
        this.out.write(header.getBytes(StandardCharsets.US_ASCII));
    }

    public void writeRow(float[] values) throws IOException {
        if (values.length != columns) throw new IllegalArgumentException("row has " + values.length + " values, expected " + columns);
        if (written == rows) throw new IllegalStateException("all " + rows + " rows are written");
        row.clear();
        row.asFloatBuffer().put(values);
        out.write(row.array());
        written++;
    }

    @Override
    public void close() throws IOException {
        try (out) {
            if (written != rows) throw new IllegalStateException("wrote " + written + " of " + rows + " rows");
        }
    }
}
