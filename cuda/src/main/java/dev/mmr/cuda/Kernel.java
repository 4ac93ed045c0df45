package dev.mmr.cuda;

/** The kernels of {@code kernels/*.cu}: the source each is in and its (extern "C") name. */
enum Kernel {
    IM2COL("embed.cu", "im2col"),
    EMBED_TOKENS("embed.cu", "embed_tokens"),
    ADD_LAYER_NORM("embed.cu", "add_layer_norm"),
    FINAL_NORM("embed.cu", "final_norm"),
    ADD_BIAS("embed.cu", "add_bias"),
    CONV_BC_DT("mixer.cu", "conv_bc_dt"),
    SSM_SCAN("mixer.cu", "ssm_scan"),
    SSD_TENSOR("mixer.cu", "ssd_tensor");

    final String source;
    final String symbol;

    Kernel(String source, String symbol) {
        this.source = source;
        this.symbol = symbol;
    }
}
