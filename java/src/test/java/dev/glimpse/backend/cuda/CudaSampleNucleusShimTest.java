package dev.glimpse.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.glimpse.backend.NucleusDraw;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sampling kernel (cuda/sample_nucleus.cu) run through the shim draws the token the host
 * {@link NucleusDraw} draws. The random numbers and top-p values are put in the middle of a
 * candidate's interval of cumulative weight, worked out here from a plain sort in double, so the
 * kernel's fixed-point sums (2^-40 units) cannot fall on the other side of a boundary: the tokens
 * must be equal, and equal to the candidate the interval belongs to.
 */
class CudaSampleNucleusShimTest {

    private final Random random = new Random(7);
    private CudaKernels kernels;
    private ShimMemory memory;

    @BeforeEach
    void setUp() {
        kernels = new CudaKernels(ShimRunner.load());
        memory = new ShimMemory();
    }

    @AfterEach
    void tearDown() {
        if (memory != null) {
            memory.close();
        }
    }

    /** Logits with ties (the lower id comes first), a NaN (weighs nothing) and an infinitely unlikely token. */
    private float[] logits(int cols) {
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) {
            x[i] = (float) (random.nextGaussian() * 2.5);
        }
        x[cols / 2] = x[cols / 3];
        x[cols - 1] = x[cols / 3];
        x[17] = Float.NaN;
        x[18] = Float.NEGATIVE_INFINITY;
        return x;
    }

    /** Candidate ids in the draw's order: descending logit, the lower id first, NaN last. */
    private static Integer[] order(float[] x) {
        Integer[] ids = new Integer[x.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, Comparator.<Integer>comparingDouble(i -> Float.isNaN(x[i]) ? Double.POSITIVE_INFINITY : -x[i])
                .thenComparingInt(i -> i));
        return ids;
    }

    private int kernelDraw(MemorySegment logits, int cols, float temperature, int topK, float topP, double u) {
        MemorySegment out = memory.ints(new int[] {-1});
        kernels.sampleNucleus(out, logits, 1, cols, temperature, topK, topP, (float) u);
        return out.get(ValueLayout.JAVA_INT, 0);
    }

    private void check(int cols, float temperature, int topK, int nucleusRank) {
        float[] x = logits(cols);
        Integer[] ids = order(x);
        int keep = topK > 0 ? Math.min(topK, cols) : cols;
        double max = x[ids[0]];
        double[] cumulative = new double[keep + 1];
        for (int r = 0; r < keep; r++) {
            double w = Math.exp((x[ids[r]] - max) / temperature);
            cumulative[r + 1] = cumulative[r] + (Double.isNaN(w) ? 0 : w);
        }
        // top-p halfway between the shares of the nucleus with nucleusRank + 1 and nucleusRank candidates
        double total = cumulative[keep];
        float topP = nucleusRank + 1 >= keep ? 1f
                : (float) ((cumulative[nucleusRank] + cumulative[nucleusRank + 1]) / 2 / total);
        int nucleus = topP == 1f ? keep : nucleusRank + 1;
        double mass = cumulative[nucleus];
        NucleusDraw reference = new NucleusDraw(temperature, topK, topP);
        MemorySegment device = memory.floats(x);
        for (int trial = 0; trial < 6; trial++) {
            int rank = trial == 0 ? 0 : trial == 1 ? nucleus - 1 : random.nextInt(Math.min(nucleus, 50));
            if (cumulative[rank + 1] == cumulative[rank]) {
                continue;  // a candidate without weight is never drawn
            }
            double u = (cumulative[rank] + cumulative[rank + 1]) / 2 / mass;
            String what = "T " + temperature + ", top-k " + topK + ", top-p " + topP + ", rank " + rank;
            assertEquals((int) ids[rank], reference.pick(x.clone(), cols, u), what + ": host reference");
            assertEquals((int) ids[rank], kernelDraw(device, cols, temperature, topK, topP, u), what + ": kernel");
        }
    }

    @Test
    void plainTemperatureSampling() {
        check(3001, 1f, 0, 3001);
    }

    @Test
    void topPCutsTheTail() {
        check(2048, 0.7f, 0, 12);
        check(1500, 1.3f, 0, 0);  // the nucleus is the best candidate alone
    }

    @Test
    void topKThenTopP() {
        check(2500, 1f, 40, 25);
        check(777, 0.5f, 5, 5);
    }

    @Test
    void tinyTemperatureIsGreedy() {
        float[] x = logits(1000);
        int best = order(x)[0];
        MemorySegment device = memory.floats(x);
        for (double u : new double[] {0, 0.5, 0.999}) {
            assertEquals(best, kernelDraw(device, x.length, 1e-38f, 0, 1f, u));
        }
    }
}
