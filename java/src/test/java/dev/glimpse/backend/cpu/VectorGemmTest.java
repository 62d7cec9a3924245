package dev.glimpse.backend.cpu;

import static dev.glimpse.backend.cpu.TestTensors.activation;
import static dev.glimpse.backend.cpu.TestTensors.assertClose;
import static dev.glimpse.backend.cpu.TestTensors.random;
import static dev.glimpse.backend.cpu.TestTensors.read;
import static dev.glimpse.backend.cpu.TestTensors.weight;

import dev.glimpse.tensor.DType;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VectorGemm} with a small limit on packed x, so that long inputs are multiplied in several chunks of
 * strips as they are past 64 MB, against {@link ReferenceBackend}. Metric ‖a − b‖₂/‖b‖₂, tolerance 1e-5.
 */
class VectorGemmTest {

    @ParameterizedTest(name = "{0} threads")
    @ValueSource(ints = {1, 2})
    void chunksOfStripsMatchReference(int threads) {
        VectorKernels kernels = VectorKernels.of(FloatVector.SPECIES_256);
        try (WorkerPool pool = new WorkerPool(threads); ReferenceBackend ref = new ReferenceBackend();
                Arena host = Arena.ofShared()) {
            Random random = new Random(threads);
            int n = 75;
            int k = 300;
            int outDim = 29;
            // Room for two 16-token strips of 300 floats: 75 tokens take 3 chunks, the last one short.
            VectorGemm gemm = new VectorGemm(kernels, pool, 2 * 16 * k + 100);
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                float[] x = random(random, n * k, 1);
                Tensor w = weight(host, "w", dtype, random(random, outDim * k, 0.1f), outDim, k);
                Tensor bias = weight(host, "b", DType.F32, random(random, outDim, 1), outDim);
                Tensor fastOut = ref.allocate("fast", n, outDim);
                Tensor refOut = ref.allocate("ref", n, outDim);
                Tensor xs = activation(ref, "x", x, n, k);
                gemm.run(fastOut, xs, w, bias, dtype == DType.BF16);
                ref.matmul(refOut, xs, w, bias);
                assertClose(read(ref, fastOut), read(ref, refOut), 1e-5, "chunked gemm " + dtype);
            }
        }
    }
}
