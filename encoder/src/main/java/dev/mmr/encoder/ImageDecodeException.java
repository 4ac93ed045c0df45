package dev.mmr.encoder;

import java.io.IOException;

/** Image bytes that will not be encoded; the message says why (not an image, too many pixels, unreadable data). */
public class ImageDecodeException extends IOException {
    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
