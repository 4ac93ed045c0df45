package dev.mmr.encoder;

import java.util.List;

/**
 * Images to encode in one call, each with the caller's id: either the bytes of an image file (decoded and preprocessed
 * by the model) or pixels already preprocessed by {@link MatMambaModel#preprocessor()}.
 */
public record EncodeBatch(List<Image> images) {
    public EncodeBatch {
        images = List.copyOf(images);
    }

    /** One image of a batch. */
    public sealed interface Image permits ImageBytes, ImagePixels {
        String id();
    }

    /** The bytes of an image file (JPEG, PNG, ...). */
    public record ImageBytes(String id, byte[] bytes) implements Image {
    }

    /** Preprocessed pixels, {@code 3 x S x S} floats (CHW, row-major). */
    public record ImagePixels(String id, float[] pixels) implements Image {
    }

    public int size() {
        return images.size();
    }
}
