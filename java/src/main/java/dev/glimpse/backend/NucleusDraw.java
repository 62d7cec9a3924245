package dev.glimpse.backend;

import java.util.Arrays;

/**
 * Temperature, top-k and top-p sampling as transformers applies them, with the random number given:
 * candidates in descending logit order (the lower id first on ties), the first topK of them (all when
 * 0), weights exp((logit − max) / temperature), the smallest prefix whose share of the weight reaches
 * topP (at least one candidate), and in it the first candidate whose cumulative weight reaches u times
 * the prefix's weight. The host version below is the reference the CUDA kernel is tested against.
 * Not thread-safe (it reuses its sort buffers).
 */
public final class NucleusDraw {

    private final float temperature;
    private final int topK;
    private final float topP;
    /** Sort keys: order-preserving bits of −logit in the high half, token id in the low half. */
    private long[] keys = new long[0];
    private double[] weights = new double[0];

    public NucleusDraw(float temperature, int topK, float topP) {
        if (!(temperature > 0) || topK < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("sampling needs temperature > 0, top-k ≥ 0 and top-p in (0, 1], got "
                    + temperature + ", " + topK + ", " + topP);
        }
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
    }

    public float temperature() {
        return temperature;
    }

    public int topK() {
        return topK;
    }

    public float topP() {
        return topP;
    }

    /** The token drawn from logits[0 … n) with u uniform in [0, 1). */
    public int pick(float[] logits, int n, double u) {
        if (keys.length != n) {
            keys = new long[n];
            weights = new double[n];
        }
        for (int i = 0; i < n; i++) {
            keys[i] = ((long) sortable(-logits[i]) << 32) | i;
        }
        Arrays.sort(keys);
        int keep = topK > 0 ? Math.min(topK, n) : n;
        double max = logits[id(0)];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            // In double, after subtracting the max: a tiny temperature gives 1 for the best and 0 elsewhere.
            double w = Math.exp((logits[id(r)] - max) / temperature);
            weights[r] = Double.isNaN(w) ? 0 : w;
            sum += weights[r];
        }
        double cumulative = 0;
        int nucleus = keep;
        for (int r = 0; r < keep; r++) {
            cumulative += weights[r] / sum;
            if (cumulative >= topP) {
                nucleus = r + 1;
                break;
            }
        }
        double mass = 0;
        for (int r = 0; r < nucleus; r++) {
            mass += weights[r];
        }
        double left = u * mass;
        for (int r = 0; r < nucleus; r++) {
            left -= weights[r];
            if (left <= 0) {
                return id(r);
            }
        }
        return id(0);
    }

    private int id(int rank) {
        return (int) keys[rank];
    }

    /** Float bits mapped to an int whose signed order is the float order (NaN sorts last). */
    private static int sortable(float f) {
        int bits = Float.floatToIntBits(f);
        return bits >= 0 ? bits : bits ^ 0x7FFFFFFF;
    }
}
