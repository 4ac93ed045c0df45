package dev.mmr.encoder.cpu;

import dev.mmr.encoder.ModelConfig;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The CPU's own float32 matrix-multiply rate on a model's projection shapes: the reference a benchmark row is read against. */
public final class MatmulPeak {
    private MatmulPeak() {
    }

    /** Best float32 gemm rate over the model's full-width in_proj and out_proj products at {@code batch} images. */
    public static double matmulGflops(ModelConfig c, int batch, int runs) {
        long rows = (long) batch * c.nTokens();
        long d = c.dModel();
        long inRows = c.inProjRows();
        INDArray u = Nd4j.rand(DataType.FLOAT, rows, d);
        INDArray inProj = Nd4j.rand(DataType.FLOAT, inRows, d);
        INDArray y = Nd4j.rand(DataType.FLOAT, rows, c.dInner());
        INDArray outProjT = Nd4j.rand(DataType.FLOAT, c.dInner(), d);
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, rows, inRows);
        INDArray b = Nd4j.createUninitialized(DataType.FLOAT, rows, d);
        double flop = 2.0 * rows * d * (inRows + c.dInner());
        long best = Long.MAX_VALUE;
        for (int i = 0; i <= runs; i++) {
            long start = System.nanoTime();
            Nd4j.gemm(u, inProj, a, false, true, 1.0, 0.0);
            Nd4j.gemm(y, outProjT, b, false, false, 1.0, 0.0);
            best = i == 0 ? best : Math.min(best, System.nanoTime() - start);
        }
        double seconds = best / 1e9;
        for (INDArray x : List.of(u, inProj, y, outProjT, a, b)) {
            x.close();
        }
        return flop / seconds / 1e9;
    }
}
