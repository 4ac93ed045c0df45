/**
 * The seam between a MatMamba-Vision model and the hardware that runs it: an {@link dev.mmr.encoder.backend.EncoderBackend}
 * runs the network on a batch at any nested width, and a {@link dev.mmr.encoder.backend.BackendProvider}, found with
 * {@link java.util.ServiceLoader}, opens one for a device ({@code cpu}, {@code cuda}) when that device is usable here.
 */
package dev.mmr.encoder.backend;
