package dev.mmr.indexer.source;

import dev.mmr.encoder.ImagePreprocessor;
import dev.mmr.encoder.RegularFiles;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** A corpus of images visited in a stable order, so that a rerun sees the same ids in the same sequence. */
public interface ImageSource extends Closeable {
    /** Images larger than this are refused before decoding. */
    long MAX_IMAGE_BYTES = ImagePreprocessor.MAX_IMAGE_BYTES;

    /** File name extensions taken as images in folders and archives (those of torchvision's ImageFolder). */
    Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp", "gif");

    /** Reads the bytes of the entry being visited; valid only during that visit. */
    @FunctionalInterface
    interface Content {
        byte[] read() throws IOException;
    }

    /** Receives entries; returns false to stop the scan. */
    @FunctionalInterface
    interface Visitor {
        boolean visit(ImageEntry entry, Content content) throws IOException, InterruptedException;
    }

    /** Visits every image in order until the visitor returns false. */
    void scan(Visitor visitor) throws IOException, InterruptedException;

    /** Fraction of the source scanned so far, in [0, 1]; safe to call from another thread. */
    double fractionScanned();

    /** A short description for logs and commit data. */
    String describe();

    @Override
    default void close() throws IOException {
    }

    /**
     * Opens a source by its form: a directory is an ImageFolder tree; {@code .tar}, {@code .tar.gz}/{@code .tgz},
     * {@code .tar.xz}/{@code .txz} an archive of one; {@code .csv} or {@code .jsonl}/{@code .ndjson} a manifest.
     *
     * @param under for trees and archives, only the subtree under this relative folder (e.g. {@code train}); may be null
     */
    static ImageSource open(Path source, String under) throws IOException {
        String name = source.getFileName() == null ? "" : source.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isDirectory(source)) return new FolderSource(source, under);
        if (!Files.exists(source)) throw new IOException("source not found: " + source);
        RegularFiles.requireRegular(source);
        if (ArchiveSource.accepts(name)) return new ArchiveSource(source, under);
        if (under != null) throw new IllegalArgumentException("--under applies to folders and archives, not to a manifest");
        if (name.endsWith(".csv") || name.endsWith(".jsonl") || name.endsWith(".ndjson")) return ManifestSource.open(source);
        throw new IllegalArgumentException("unknown source " + source
                + ": expected a folder, a .tar/.tar.gz/.tgz/.tar.xz/.txz archive, or a .csv/.jsonl manifest");
    }

    /** Whether a file name has an image extension. */
    static boolean isImageName(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The label of an id {@code a/b/class/file.jpg}: its parent folder name, or null at the top level. */
    static String parentName(String relativeId) {
        int slash = relativeId.lastIndexOf('/');
        if (slash <= 0) return null;
        int previous = relativeId.lastIndexOf('/', slash - 1);
        return relativeId.substring(previous + 1, slash);
    }

    /** Normalises a relative folder prefix to {@code a/b/} form, or null. */
    static String normaliseUnder(String under) {
        if (under == null || under.isBlank()) return null;
        String p = under.replace('\\', '/');
        while (p.startsWith("./")) p = p.substring(2);
        while (p.startsWith("/")) p = p.substring(1);
        if (p.contains("..")) throw new IllegalArgumentException("--under must be a relative folder without '..': " + under);
        return p.endsWith("/") ? p : p + "/";
    }
}
