/**
 * The {@code cpu} backend of the encoder seam: the MatMamba-Vision forward pass at any nested width, the large matrix
 * products on ND4J (OpenBLAS), the per-token steps between them (LayerNorm, causal convolution, the selective scan,
 * gated RMSNorm) as fused Java Vector API kernels. ND4J is used nowhere else in the project.
 */
package dev.mmr.encoder.cpu;
