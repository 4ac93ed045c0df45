/**
 * MatMamba-Vision in Java: reads the authors' checkpoints, preprocesses images, and encodes them at any nested width
 * (uniform levels or per-layer Mix'n'Match) through the typed batch API ({@link dev.mmr.encoder.EncodeBatch} in,
 * {@link dev.mmr.encoder.EncodeResult} out), on the backend of the device chosen at load time
 * ({@link dev.mmr.encoder.BackendChoice}, through the seam of {@code dev.mmr.encoder.backend}).
 */
package dev.mmr.encoder;
