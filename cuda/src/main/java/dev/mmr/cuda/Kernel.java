package dev.mmr.cuda;

/** The kernels of {@code kernels/*.cu}: the source each is in and its (extern "C") name. */
enum Kernel {
    IM2COL("embed.cu", "im2col"),
    EMBED_TOKENS("embed.cu", "embed_tokens"),
    ADD_LAYER_NORM("embed.cu", "add_layer_norm"),
    FINAL_NORM("embed.cu", "final_norm"),
    ADD_BIAS("embed.cu", "add_bias"),
    CONV_SILU("mixer.cu", "conv_silu"),
    SSM_SCAN("mixer.cu", "ssm_scan"),
    GATE_RMS_NORM("mixer.cu", "gate_rms_norm");

    final String source;
    final String symbol;

    Kernel(String source, String symbol) {
        this.source = source;
        this.symbol = symbol;
    }
}
