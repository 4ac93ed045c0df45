/**
 * MatMamba-Vision in Java: reads the authors' checkpoints, preprocesses images, and encodes them at any nested width
 * (uniform levels or per-layer Mix'n'Match) through the typed batch API ({@link dev.mmr.encoder.EncodeBatch} in,
 * {@link dev.mmr.encoder.EncodeResult} out), on the backend of the device chosen at load time
 * ({@link dev.mmr.encoder.BackendChoice}).
 *
 * <p>The backend seam is defined here too, so backends depend on this package and it on none of them: an
 * {@link dev.mmr.encoder.EncoderBackend} runs the network on a batch at any nested width, and a
 * {@link dev.mmr.encoder.BackendProvider}, found with {@link java.util.ServiceLoader}, opens one for a device
 * ({@code cpu}, {@code cuda}) when that device is usable here.
 */
package dev.mmr.encoder;
