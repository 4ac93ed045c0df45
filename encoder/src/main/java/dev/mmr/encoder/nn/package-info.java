/**
 * The MatMamba-Vision forward pass at any nested width: the large matrix products run on ND4J
 * (OpenBLAS on the CPU), the per-token steps between them (LayerNorm, causal convolution, the
 * selective scan, gated RMSNorm) run as fused Java Vector API kernels.
 */
package dev.mmr.encoder.nn;
