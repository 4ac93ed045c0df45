/**
 * The CUDA encoder backend: MatMamba-Vision's forward pass on an NVIDIA GPU (compute capability 9.0 or newer, CUDA 13
 * runtime), behind {@link dev.mmr.encoder.EncoderBackend}. The kernels ({@code kernels/*.cu}) are compiled at
 * run time by NVRTC for the device's own architecture; the products run through cuBLAS with each nested width's
 * weight slice given as a pointer offset and leading dimension; activations stay on the device for the whole pass.
 * JavaCPP's CUDA presets bind the machine's own CUDA libraries.
 */
package dev.mmr.cuda;
