package dev.mmr.search;

import java.nio.file.Files;
import java.nio.file.Path;

/** The project folder (the one holding {@code models/}): {@code -Dmmr.home} as set by {@code bin/mmr}, else found upwards from the working directory. */
public final class ProjectRoot {
    private ProjectRoot() {
    }

    public static Path find() {
        String home = System.getProperty("mmr.home");
        if (home != null) {
            return Path.of(home).toAbsolutePath();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("models"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the project folder (the one holding models/) above " + Path.of("").toAbsolutePath());
    }
}
