package dev.glimpse.generate;

/**
 * How the next token is chosen. Temperature 0 means greedy (the default, as in VisionThink's loop and
 * transformers' greedy reference); the other fields apply only when sampling, except the repetition
 * penalty, which applies to greedy decoding too when it is not 1.
 */
public record SamplingOptions(float temperature, int topK, float topP, float repetitionPenalty, long seed) {

    public static final SamplingOptions GREEDY = new SamplingOptions(0f, 0, 1f, 1f, 0L);

    public SamplingOptions {
        if (temperature < 0 || Float.isNaN(temperature)) {
            throw new IllegalArgumentException("--temperature must be ≥ 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("--top-k must be ≥ 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("--top-p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0)) {
            throw new IllegalArgumentException("--repetition-penalty must be > 0, got " + repetitionPenalty);
        }
    }

    public boolean greedy() {
        return temperature == 0f;
    }
}
