package dev.mmr.cuda;

/** Where each of a checkpoint's tensors lies in device memory (see {@link DeviceWeights}). */
record WeightAddresses(long patchWeight, long patchBias, long clsToken, long posEmbed, Layer[] layers,
                       long finalNormWeight, long finalNormBias, long headWeight, long headBias) {

    /**
     * One layer's tensors; {@code a} holds {@code -exp(A_log)}, {@code outProj} out_proj with the gated RMSNorm's weight
     * folded into its columns.
     */
    record Layer(long normWeight, long normBias, long inProj, long convWeight, long convBias, long dtBias, long a,
                 long skip, long outProj) {
    }
}
