package dev.mmr.encoder;

import java.io.IOException;

/** A model directory or weight file that cannot be used; the message names the file, field or tensor at fault. */
public class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
