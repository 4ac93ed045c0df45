package dev.mmr.indexer.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * An ImageFolder tree {@code <root>/<class>/<file>}: the label is the parent folder's name and the id the path relative
 * to the root with {@code /} separators (e.g. {@code train/cat/0001.jpg}). Files are visited in sorted id order.
 */
final class FolderSource implements ImageSource {
    private final Path root;
    private final List<String> ids;
    private volatile int visited;

    FolderSource(Path root, String under) throws IOException {
        this.root = root.toAbsolutePath().normalize();
        String prefix = ImageSource.normaliseUnder(under);
        Path start = prefix == null ? this.root : this.root.resolve(prefix);
        if (!Files.isDirectory(start)) throw new IOException("no folder " + prefix + " under " + root);
        try (Stream<Path> files = Files.walk(start)) {
            ids = files.filter(Files::isRegularFile)
                    .filter(f -> ImageSource.isImageName(f.getFileName().toString()))
                    .map(f -> this.root.relativize(f).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        }
    }

    @Override
    public void scan(Visitor visitor) throws IOException, InterruptedException {
        for (String id : ids) {
            Path file = root.resolve(id);
            ImageEntry entry = new ImageEntry(id, new ImageLocation.File(file), ImageSource.parentName(id), Map.of());
            visited++;
            if (!visitor.visit(entry, () -> readImage(file))) return;
        }
    }

    static byte[] readImage(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_IMAGE_BYTES) throw new IOException("file too large: " + size + " bytes (limit " + MAX_IMAGE_BYTES + ")");
        return Files.readAllBytes(file);
    }

    @Override
    public double fractionScanned() {
        return ids.isEmpty() ? 1 : (double) visited / ids.size();
    }

    @Override
    public String describe() {
        return "folder " + root;
    }
}
