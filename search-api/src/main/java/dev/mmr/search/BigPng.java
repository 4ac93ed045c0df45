package dev.mmr.search;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

/** Huge but cheap images for load and hardening tests: a PNG of one colour compresses to about a thousandth of its pixel bytes. */
final class BigPng {
    private BigPng() {
    }

    /** An 8-bit RGB PNG of {@code width} x {@code height} pixels, all of one colour. */
    static byte[] solid(int width, int height, int rgb) throws IOException {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[1 + 3 * width];
        for (int x = 0; x < width; x++) {
            row[1 + 3 * x] = (byte) (rgb >> 16);
            row[2 + 3 * x] = (byte) (rgb >> 8);
            row[3 + 3 * x] = (byte) rgb;
        }
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat)) {
            for (int y = 0; y < height; y++) {
                z.write(row);
            }
        }
        return png(width, height, idat.toByteArray());
    }

    /** A PNG that declares {@code width} x {@code height} pixels and holds no pixel data (signature, IHDR, IEND). */
    static byte[] headerOnly(int width, int height) {
        return png(width, height, null);
    }

    private static byte[] png(int width, int height, byte[] idat) {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        chunk(png, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0)
                .put((byte) 0).put((byte) 0).array());
        if (idat != null) {
            chunk(png, "IDAT", idat);
        }
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
