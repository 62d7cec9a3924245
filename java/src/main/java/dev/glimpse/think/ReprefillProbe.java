package dev.glimpse.think;

import dev.glimpse.backend.Scratch;
import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.generate.Session;
import dev.glimpse.generate.TokenListener;
import dev.glimpse.generate.VisualInput;
import dev.glimpse.image.RgbImage;
import dev.glimpse.model.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * What round 2 would cost without KV reuse (as vLLM's loop pays it without a prefix cache): a fresh
 * prefill of the whole conversation, both rounds' images included, on a cache of its own. Vision
 * encoding is not timed: both ways need the full image encoded, and the half-size one was encoded in
 * round 1 either way.
 */
final class ReprefillProbe {

    private ReprefillProbe() {
    }

    /** Nanoseconds a fresh prefill of conversation (every token up to round 2's generation) takes. */
    static long measure(Model model, int[] conversation, List<RgbImage> halves, List<RgbImage> originals) {
        List<RgbImage> all = new ArrayList<>(halves);
        all.addAll(originals);
        try (Scratch scratch = new Scratch(model.backend());
                Session fresh = new Session(model, conversation.length + 1)) {
            VisualInput images = VisualInput.encode(model, all,
                    tokens -> scratch.get("reprefill", tokens, model.config().text().hiddenSize()));
            return fresh.run(conversation, images.gridsThw(), images.embeds(), 0, SamplingOptions.GREEDY,
                    TokenListener.NONE).prefillNanos();
        }
    }
}
