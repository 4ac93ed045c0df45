package dev.mmr.indexer;

import java.io.IOException;

/** The index was built by a different model (fingerprint or dimension), or with other settings than those asked for. */
public class IndexMismatchException extends IOException {
    public IndexMismatchException(String message) {
        super(message);
    }
}
