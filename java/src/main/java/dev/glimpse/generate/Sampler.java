package dev.glimpse.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from logits, applying the processors in transformers' order: repetition
 * penalty, temperature, top-k, top-p, then a draw (or argmax when greedy).
 */
public final class Sampler {

    private final SamplingOptions options;
    private final SplittableRandom random;
    private final boolean[] seen;
    private Integer[] order;

    public Sampler(SamplingOptions options, int vocabSize) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
        this.seen = new boolean[vocabSize];
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

    /** Index of the largest logit; the lowest index wins ties, as torch.argmax does. */
    public static int argmax(float[] logits, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private int draw(float[] logits, int n) {
        if (order == null || order.length != n) {
            order = new Integer[n];
        }
        for (int i = 0; i < n; i++) {
            order[i] = i;
            logits[i] /= options.temperature();
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
        double max = logits[order[0]];
        double[] probs = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            probs[r] = Math.exp(logits[order[r]] - max);
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
                return order[r];
            }
        }
        return order[nucleus - 1];
    }
}
