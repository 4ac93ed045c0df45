package dev.mmr.eval;

import dev.mmr.indexer.source.ImageLocation;
import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import org.apache.commons.codec.binary.Hex;
import org.apache.commons.codec.digest.DigestUtils;

/**
 * Opens the indexer's image sources (ImageFolder tree, tar/tar.gz/tar.xz archive of one, manifest)
 * as evaluation corpora. Opening lists the source once (no decoding) to count it and to fingerprint
 * it: the ids and labels in order, plus size and modification time of the source file (archive,
 * manifest) and of each image file on disk (folder, manifest), so changed data misses the embedding
 * cache. {@code limit} takes images evenly spaced over the source order, so a subset keeps every class.
 */
public final class ImageCorpora {
    private ImageCorpora() {
    }

    /** A source's description with the working directory's absolute path left out, so reports name data as the user did. */
    static String relativeToWorkingDirectory(String description) {
        return description.replace(Path.of("").toAbsolutePath() + java.io.File.separator, "");
    }

    /** @param under only the subtree under this relative folder of a tree or archive (e.g. {@code train}); may be null */
    public static ImageCorpus open(Path source, String under) throws IOException {
        MessageDigest sha = DigestUtils.getSha256Digest();
        stat(sha, source);
        int[] count = {0};
        String description;
        try (ImageSource listing = ImageSource.open(source, under)) {
            description = relativeToWorkingDirectory(listing.describe());
            scan(listing, (entry, content) -> {
                if (entry.label() == null) {
                    throw new IOException("image " + entry.id() + " has no label; eval needs labelled images (ImageFolder layout or a label column)");
                }
                sha.update((entry.id() + '\t' + entry.label() + '\n').getBytes(StandardCharsets.UTF_8));
                if (entry.location() instanceof ImageLocation.File file) {
                    stat(sha, file.path());
                }
                count[0]++;
                return true;
            });
        }
        if (count[0] == 0) {
            throw new IOException("no images in " + description);
        }
        String identity = description + " (" + count[0] + " images, " + Hex.encodeHexString(sha.digest()).substring(0, 16) + ")";
        return new SourceCorpus(source, under, identity, count[0]);
    }

    private record SourceCorpus(Path source, String under, String identity, int size) implements ImageCorpus {
        @Override
        public void forEach(int limit, Visitor visitor) throws IOException {
            int wanted = limit > 0 ? Math.min(limit, size) : size;
            int[] ordinal = {0};
            int[] taken = {0};
            try (ImageSource images = ImageSource.open(source, under)) {
                scan(images, (entry, content) -> {
                    // the taken-th of `wanted` evenly spaced ordinals: floor(taken * size / wanted)
                    if (ordinal[0]++ == (int) ((long) taken[0] * size / wanted)) {
                        taken[0]++;
                        visitor.accept(entry.id(), entry.label(), readOrEmpty(content));
                    }
                    return taken[0] < wanted;
                });
            }
        }
    }

    /** The bytes, or none when the source refuses them (too large): the preprocessor then rejects the image and it is skipped. */
    private static byte[] readOrEmpty(ImageSource.Content content) {
        try {
            return content.read();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static void scan(ImageSource source, ImageSource.Visitor visitor) throws IOException {
        try {
            source.scan(visitor);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading " + source.describe());
        }
    }

    private static void stat(MessageDigest sha, Path file) throws IOException {
        if (Files.isRegularFile(file)) {
            sha.update((Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis() + '\n').getBytes(StandardCharsets.UTF_8));
        }
    }

}
