/**
 * The encoder's {@code bin/mmr} commands: {@code tensors} (parity files), {@code bench-encoder} (any backend) and
 * {@code bench-gpu} (the cuda backend, measured by {@link dev.mmr.cuda.CudaBenchmark}).
 */
package dev.mmr.app.encoder;
