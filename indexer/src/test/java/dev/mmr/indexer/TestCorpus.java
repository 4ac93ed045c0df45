package dev.mmr.indexer;

import dev.mmr.indexer.source.ImageSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Small corpora for tests: real CIFAR-10 JPEGs taken from the demo archive, laid out as trees or archives. */
public final class TestCorpus {
    private TestCorpus() {
    }

    /** The project root: the nearest folder up from the working directory that holds {@code models/}. */
    public static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isDirectory(p.resolve("models"))) return p;
        throw new IllegalStateException("no models/ folder above " + Path.of("").toAbsolutePath());
    }

    public static Path goldenTiny() {
        return root().resolve("models/golden-tiny");
    }

    /** The first {@code n} images of the demo archive, id ({@code train/<class>/<file>}) to JPEG bytes. */
    public static Map<String, byte[]> cifar(int n) throws IOException, InterruptedException {
        Map<String, byte[]> images = new LinkedHashMap<>();
        try (ImageSource source = ImageSource.open(root().resolve("data/cifar10.tar.xz"), "train")) {
            source.scan((entry, content) -> {
                images.put(entry.id(), content.read());
                return images.size() < n;
            });
        }
        return images;
    }

    /** Writes the images as a tree under {@code dir} (ids are relative paths). */
    public static Path tree(Path dir, Map<String, byte[]> images) throws IOException {
        for (var image : images.entrySet()) {
            Path file = dir.resolve(image.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, image.getValue());
        }
        return dir;
    }

    /** Writes the images as a {@code .tar.gz} with members {@code ./<id>}. */
    public static Path tarGz(Path file, Map<String, byte[]> images) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(out))) {
            for (var image : images.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry("./" + image.getKey());
                entry.setSize(image.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(image.getValue());
                tar.closeArchiveEntry();
            }
        }
        return file;
    }

    /** A random unit vector of {@code dimension} floats (Gaussian components, normalised), as an embedding stands in the index. */
    public static float[] randomUnitVector(int dimension, SplittableRandom random) {
        float[] v = new float[dimension];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
            norm += (double) v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) v[i] /= (float) Math.sqrt(norm);
        return v;
    }
}
