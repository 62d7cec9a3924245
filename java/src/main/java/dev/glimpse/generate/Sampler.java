package dev.glimpse.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits, applying the processors in transformers' order: repetition
 * penalty, temperature, top-k, top-p, then a draw (or argmax when greedy). One sampler serves a
 * whole conversation, so the penalty sees every earlier round and the random stream runs on.
 */
public final class Sampler {

    private final SamplingOptions options;
    private final SplittableRandom random;
    private final boolean[] seen;
    /** Sort keys: order-preserving float bits in the high half, token id in the low half. */
    private long[] keys;
    private double[] probs;

    public Sampler(SamplingOptions options, int vocabSize) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
        this.seen = new boolean[vocabSize];
    }

    public SamplingOptions options() {
        return options;
    }

    /** Marks tokens (prompt and generated) for the repetition penalty. */
    public void observe(int id) {
        if (id >= 0 && id < seen.length) {
            seen[id] = true;
        }
    }

    /** Chooses a token; modifies logits in place. */
    public int sample(float[] logits) {
        int n = Math.min(logits.length, seen.length);
        float penalty = options.repetitionPenalty();
        if (penalty != 1f) {
            for (int i = 0; i < n; i++) {
                if (seen[i]) {
                    logits[i] = logits[i] > 0 ? logits[i] / penalty : logits[i] * penalty;
                }
            }
        }
        if (options.greedy()) {
            return argmax(logits, n);
        }
        return draw(logits, n);
    }

    /** Index of the largest logit; the lowest index wins ties, as torch.argmax does; NaN never wins. */
    public static int argmax(float[] logits, int n) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            if (!Float.isNaN(logits[i]) && (best < 0 || logits[i] > logits[best])) {
                best = i;
            }
        }
        return Math.max(best, 0);
    }

    private int draw(float[] logits, int n) {
        if (keys == null || keys.length != n) {
            keys = new long[n];
            probs = new double[n];
        }
        for (int i = 0; i < n; i++) {
            // Descending order by logit, ascending by id on ties: sort ascending on the negated key.
            keys[i] = ((long) sortable(-logits[i]) << 32) | i;
        }
        Arrays.sort(keys);
        int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
        double max = logits[id(0)];
        double temperature = options.temperature();
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            // In double, after subtracting the max: a tiny temperature gives 1 for the best and 0 elsewhere.
            double p = Math.exp((logits[id(r)] - max) / temperature);
            probs[r] = Double.isNaN(p) ? 0 : p;
            sum += probs[r];
        }
        // top-p: the smallest prefix of the sorted distribution whose mass reaches p (at least one token).
        double cumulative = 0;
        int nucleus = keep;
        for (int r = 0; r < keep; r++) {
            cumulative += probs[r] / sum;
            if (cumulative >= options.topP()) {
                nucleus = r + 1;
                break;
            }
        }
        double mass = 0;
        for (int r = 0; r < nucleus; r++) {
            mass += probs[r];
        }
        double u = random.nextDouble() * mass;
        for (int r = 0; r < nucleus; r++) {
            u -= probs[r];
            if (u <= 0) {
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
