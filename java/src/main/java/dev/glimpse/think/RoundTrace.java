package dev.glimpse.think;

import dev.glimpse.generate.Round;
import dev.glimpse.generate.VisualInput;
import java.util.List;

/** What one round did: the engine's round plus the images it added and its decoded text. */
public record RoundTrace(Round round, String text, List<int[]> gridsThw, int visualTokens, long preprocessNanos,
        long visionNanos) {

    static RoundTrace of(Round round, String text, VisualInput images) {
        return new RoundTrace(round, text, images.gridsThw(), images.visualTokens(), images.preprocessNanos(),
                images.visionNanos());
    }
}
