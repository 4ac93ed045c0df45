package dev.mmr.eval;

import java.io.IOException;

/** Labelled images in a fixed order: the database or the query set of an evaluation. */
public interface ImageCorpus {

    /** Identifies the images' content cheaply (path, sizes, modification times), for cache keys. */
    String identity();

    /** The number of images the corpus holds, for progress (a listing, no decoding). */
    int size() throws IOException;

    /** Hands over the first {@code limit} images (all when {@code limit} is 0) in the corpus order. */
    void forEach(int limit, Visitor visitor) throws IOException;

    /** Receives one image: its stable id, its label (class name) and its encoded bytes. */
    @FunctionalInterface
    interface Visitor {
        void accept(String id, String label, byte[] bytes) throws IOException;
    }
}
