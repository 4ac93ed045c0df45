package dev.mmr.encoder;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Named pipes for the tests of special files (a reader must refuse them, not block); shared with the indexer's tests. */
public final class NamedPipes {
    private NamedPipes() {
    }

    /** A named pipe made with mkfifo(1); the calling test is skipped, saying so, where there is no mkfifo. */
    public static Path make(Path path) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        } catch (IOException e) {
            Assumptions.abort("mkfifo(1) is not available to make a FIFO: " + e.getMessage());
            throw e;
        }
        Assumptions.assumeTrue(p.waitFor() == 0, "mkfifo(1) failed to make a FIFO at " + path);
        return path;
    }
}
