package dev.mmr.encoder;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads input files that must be regular files, with a bound on the bytes read. A device ({@code /dev/zero}), a FIFO,
 * a socket or a folder, reached directly or through a symbolic link, is refused before it is opened (opening a FIFO
 * would wait for a writer; a device never ends). The bound is applied to the bytes actually read, never taken from a
 * size field, so a file growing while it is read is refused too.
 */
public final class RegularFiles {

    private RegularFiles() {
    }

    /** Refuses anything but a regular file, following links; {@link java.nio.file.NoSuchFileException} when there is none. */
    public static void requireRegular(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new IOException(file + ": not a regular file (" + (attributes.isDirectory() ? "a folder" : "a device, FIFO or socket") + ")");
        }
    }

    /** The bytes of the regular file {@code file}, refused when there are more than {@code limit}. */
    public static byte[] read(Path file, long limit) throws IOException {
        try (InputStream in = open(file, limit)) {
            return in.readAllBytes();
        }
    }

    /** A stream over the regular file {@code file} that fails once more than {@code limit} bytes have been read. */
    public static InputStream open(Path file, long limit) throws IOException {
        if (limit < 0 || limit >= Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("limit must be in [0, 2^31 - 9), got " + limit);
        }
        requireRegular(file);
        return new Bounded(Files.newInputStream(file), file, limit);
    }

    /** Counts the bytes read and fails past the limit. */
    private static final class Bounded extends FilterInputStream {
        private final Path file;
        private final long limit;
        private long read;

        Bounded(InputStream in, Path file, long limit) {
            super(in);
            this.file = file;
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, (int) Math.min(length, limit - read + 1));
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(Math.min(n, limit - read + 1));
            count(skipped);
            return skipped;
        }

        private void count(long n) throws IOException {
            read += n;
            if (read > limit) {
                throw new IOException(file + ": larger than " + limit + " bytes");
            }
        }
    }
}
