/** JMH benchmarks of the encoder through its backend seam and of the index writer; the CPU kernels' own are in {@code dev.mmr.encoder.cpu}. Run with {@code bin/jmh}. */
package dev.mmr.benchmarks;
