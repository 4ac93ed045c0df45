package dev.mmr.encoder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locations the encoder tests read: the project root (the directory holding {@code models/}) and test resources. */
final class TestPaths {
    private TestPaths() {
    }

    static Path projectRoot() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("models"))) {
                return p;
            }
        }
        throw new IllegalStateException("no directory holding models/ above " + Paths.get("").toAbsolutePath());
    }

    static Path goldenTiny() {
        return projectRoot().resolve("models/golden-tiny");
    }

    static Path resource(String name) {
        return projectRoot().resolve("encoder/src/test/resources").resolve(name);
    }
}
