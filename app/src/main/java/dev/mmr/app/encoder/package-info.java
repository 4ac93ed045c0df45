/** The encoder's {@code bin/mmr} commands: {@code tensors} (parity files) and {@code bench-encoder}. */
package dev.mmr.app.encoder;
