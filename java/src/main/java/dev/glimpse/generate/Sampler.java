package dev.glimpse.generate;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.NucleusDraw;
import dev.glimpse.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.function.ToIntFunction;

/**
 * Picks the next token from logits, applying the processors in transformers' order: repetition
 * penalty, temperature, top-k, top-p, then a draw (or argmax when greedy). One sampler serves a
 * whole conversation, so the penalty sees every earlier round and the random stream runs on.
 */
public final class Sampler {

    private final SamplingOptions options;
    private final SplittableRandom random;
    private final boolean[] seen;
    private final NucleusDraw nucleus;

    public Sampler(SamplingOptions options, int vocabSize) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
        this.seen = new boolean[vocabSize];
        this.nucleus = options.greedy() ? null : new NucleusDraw(options.temperature(), options.topK(), options.topP());
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
        return nucleus.pick(logits, n, random.nextDouble());
    }

    /**
     * How the next token is chosen from logits that stay on the backend: the argmax or a draw there
     * when the repetition penalty is off (only the token comes back), otherwise on the host.
     */
    public ToIntFunction<Tensor> chooser(Backend backend) {
        if (options.repetitionPenalty() == 1f) {
            return options.greedy() ? backend::argmax : logits -> backend.draw(logits, nucleus, random.nextDouble());
        }
        return logits -> {
            float[] host = new float[Math.toIntExact(logits.numel())];
            backend.read(logits, host);
            return sample(host);
        };
    }
}
