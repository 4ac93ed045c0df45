package dev.mmr.cuda;

/**
 * One cuBLAS product in column-major terms, {@code C (m x n, ldc) = op(A) (m x k) . op(B) (k x n)}, with {@code A}
 * starting {@code aOffset} elements into its buffer. The network's row-major products {@code out = in . W^T} are
 * {@code C^T = W . in^T}: the weight is A, transposed, and the activations are B, untransposed; a nested width's slice
 * of a weight is a pointer offset (a block of rows) and a leading dimension (the first columns of each row), never a
 * copy.
 */
record Gemm(boolean transA, boolean transB, int m, int n, int k, long aOffset, int lda, int ldb, int ldc) {

    Gemm {
        if (m <= 0 || n <= 0 || k <= 0 || aOffset < 0) {
            throw new IllegalArgumentException("bad product " + m + "x" + n + "x" + k + " at offset " + aOffset);
        }
        if (lda < (transA ? k : m) || ldb < (transB ? n : k) || ldc < m) {
            throw new IllegalArgumentException("leading dimensions " + lda + "/" + ldb + "/" + ldc + " too small for "
                    + m + "x" + n + "x" + k);
        }
    }

    /**
     * Row-major {@code out (rows x outFeatures) = in (rows x inFeatures) . W^T}, where W is the block of
     * {@code outFeatures} rows starting at row {@code firstRow} of a row-major weight with {@code weightCols} columns,
     * of which the first {@code inFeatures} are used.
     */
    static Gemm linear(int rows, int outFeatures, int inFeatures, int firstRow, int weightCols) {
        return new Gemm(true, false, outFeatures, rows, inFeatures, (long) firstRow * weightCols, weightCols,
                inFeatures, outFeatures);
    }

    /** Floating-point operations of the product. */
    double flop() {
        return 2.0 * m * n * k;
    }
}
