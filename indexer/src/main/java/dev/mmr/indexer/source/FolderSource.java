package dev.mmr.indexer.source;

import dev.mmr.encoder.RegularFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;

/**
 * An ImageFolder tree {@code <root>/<class>/<file>}: the label is the parent folder's name and the id the path relative
 * to the root, its names joined by {@code /} (a {@code \} inside a name stays), e.g. {@code train/cat/0001.jpg}. Links
 * are followed, as torchvision's ImageFolder follows them. Files are visited in sorted id order. What cannot be read
 * is visited too, with content that fails saying why, so it is rejected by id instead of stopping the run or vanishing:
 * an image name that is a device, FIFO or dangling link, a link looping back to a folder above it (id ending in
 * {@code /}), a folder that cannot be listed (id ending in {@code /}).
 */
final class FolderSource implements ImageSource {
    /** A file found under the root, and why it cannot be read as an image (null when it can). */
    private record Found(String id, Path file, String problem) {
    }

    private final Path root;
    private final List<Found> found;
    private volatile int visited;

    FolderSource(Path root, String under) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        String prefix = ImageSource.normaliseUnder(under);
        Path start = prefix == null ? this.root : this.root.resolve(prefix);
        if (!Files.isDirectory(start)) throw new IOException("no folder " + prefix + " under " + root);
        List<Found> files = new ArrayList<>();
        Files.walkFileTree(start, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (ImageSource.isImageName(file.getFileName().toString())) {
                    files.add(new Found(idOf(file), file, problemOf(attributes)));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (file.equals(start)) throw e;
                files.add(new Found(idOf(file) + "/", file, problemOf(e)));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                if (e != null) files.add(new Found(idOf(dir) + "/", dir, problemOf(e)));
                return FileVisitResult.CONTINUE;
            }
        });
        files.sort(Comparator.comparing(Found::id));
        this.found = List.copyOf(files);
    }

    private String idOf(Path file) {
        return StreamSupport.stream(root.relativize(file).spliterator(), false).map(Path::toString).collect(Collectors.joining("/"));
    }

    /** Why a file with an image name is not an image file, or null. With links followed, a link still seen is dangling. */
    private static String problemOf(BasicFileAttributes attributes) {
        if (attributes.isRegularFile()) return null;
        if (attributes.isSymbolicLink()) return "dangling symbolic link";
        return "not a regular file (a device, FIFO or socket)";
    }

    private static String problemOf(IOException e) {
        if (e instanceof FileSystemLoopException) return "symbolic link loop (a link to a folder above it)";
        if (e instanceof AccessDeniedException) return "unreadable folder: permission denied";
        return "unreadable folder: " + e;
    }

    @Override
    public void scan(Visitor visitor) throws IOException, InterruptedException {
        for (Found f : found) {
            ImageEntry entry = new ImageEntry(f.id, new ImageLocation.File(f.file), ImageSource.parentName(f.id), Map.of());
            visited++;
            Content content = f.problem == null ? () -> readImage(f.file) : () -> {
                throw new IOException(f.problem);
            };
            if (!visitor.visit(entry, content)) return;
        }
    }

    /** The bytes of an image file: a regular file (not a device or FIFO) of at most {@link #MAX_IMAGE_BYTES}. */
    static byte[] readImage(Path file) throws IOException {
        return RegularFiles.read(file, MAX_IMAGE_BYTES);
    }

    @Override
    public double fractionScanned() {
        return found.isEmpty() ? 1 : (double) visited / found.size();
    }

    @Override
    public String describe() {
        return "folder " + root;
    }
}
