package dev.mmr.indexer.source;

import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * A tar archive (plain, gzip or xz) of an ImageFolder tree, streamed in place without unpacking. The id is the member's
 * path inside the archive with any leading {@code ./} removed (e.g. {@code train/cat/0001.jpg}); the label its parent
 * folder's name; the location the archive member. Members are visited in archive order.
 */
final class ArchiveSource implements ImageSource {
    private final Path archive;
    private final String prefix;
    private final long size;
    private volatile long compressedRead;

    ArchiveSource(Path archive, String under) throws IOException {
        this.archive = archive.toAbsolutePath().normalize();
        this.prefix = ImageSource.normaliseUnder(under);
        this.size = Files.size(archive);
    }

    static boolean accepts(String lowerCaseName) {
        return lowerCaseName.endsWith(".tar") || lowerCaseName.endsWith(".tar.gz") || lowerCaseName.endsWith(".tgz")
                || lowerCaseName.endsWith(".tar.xz") || lowerCaseName.endsWith(".txz");
    }

    @Override
    public void scan(Visitor visitor) throws IOException, InterruptedException {
        compressedRead = 0;
        try (InputStream file = new CountingStream(Files.newInputStream(archive));
             TarArchiveInputStream tar = new TarArchiveInputStream(decompress(new BufferedInputStream(file, 1 << 16)))) {
            boolean any = false;
            TarArchiveEntry member;
            while ((member = next(tar)) != null) {
                any = true;
                if (!member.isFile()) continue;
                String id = member.getName();
                while (id.startsWith("./")) id = id.substring(2);
                while (id.startsWith("/")) id = id.substring(1);
                if (prefix != null && !id.startsWith(prefix)) continue;
                if (!ImageSource.isImageName(id.substring(id.lastIndexOf('/') + 1))) continue;
                ImageEntry entry = new ImageEntry(id, new ImageLocation.ArchiveMember(archive, id), ImageSource.parentName(id), Map.of());
                long memberSize = member.getSize();
                if (!visitor.visit(entry, () -> readMember(tar, memberSize))) return;
            }
            if (!any) throw new IOException("not a tar archive, or an empty one: " + archive);
        }
    }

    private TarArchiveEntry next(TarArchiveInputStream tar) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (IOException e) {
            throw new IOException("archive " + archive + " is unreadable after " + compressedRead + " bytes: " + e.getMessage(), e);
        }
    }

    private static byte[] readMember(TarArchiveInputStream tar, long memberSize) throws IOException {
        if (memberSize > MAX_IMAGE_BYTES) throw new IOException("file too large: " + memberSize + " bytes (limit " + MAX_IMAGE_BYTES + ")");
        return tar.readAllBytes();
    }

    private InputStream decompress(InputStream in) throws IOException {
        String name = archive.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".gz") || name.endsWith(".tgz")) return new GzipCompressorInputStream(in, true);
        if (name.endsWith(".xz") || name.endsWith(".txz")) return new XZCompressorInputStream(in);
        return in;
    }

    @Override
    public double fractionScanned() {
        return size == 0 ? 1 : Math.min(1, (double) compressedRead / size);
    }

    @Override
    public String describe() {
        return "archive " + archive + (prefix == null ? "" : " under " + prefix);
    }

    /** Counts the archive's bytes read, for progress. */
    private final class CountingStream extends FilterInputStream {
        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) compressedRead++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) compressedRead += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            compressedRead += skipped;
            return skipped;
        }
    }
}
