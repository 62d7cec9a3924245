package dev.glimpse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.backend.cpu.VectorBackend;
import jdk.incubator.vector.FloatVector;
import dev.glimpse.generate.Sampler;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The text decoder against transformers (fp32, eager; bf16 weights upcast): last-position logits
 * within 1e-4 relative L2 and 32 greedy tokens identical, for every text case of both checkpoints
 * (4.x config + classic names + untied head; 5.x config + language_model names + tied head + shards).
 */
class TextFidelityTest {

    static final double TOLERANCE = 1e-4;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String fixture : List.of("text-f32", "text-bf16")) {
            for (JsonNode c : Fixtures.expected(fixture).get("cases")) {
                out.add(Arguments.of(fixture, c.get("name").asText()));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logitsAndGreedyTokensMatchTransformers(String fixture, String caseName) {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected(fixture), caseName);
        try (var backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, 2);
                Model model = Model.load(Fixtures.checkpoint(fixture), backend, LoadProgress.NONE)) {
            int[] prompt = Fixtures.ints(c.get("prompt_ids"));
            int[] expected = Fixtures.ints(c.get("generated_ids"));
            KvCache cache = model.newCache(prompt.length + expected.length + 1);
            MRope.Positions pos = MRope.ropeIndex(prompt, model.config().imageTokenId(), List.of(), 2, 0);
            float[] logits = model.decoder().forward(prompt, pos.axes(), null, cache).clone();
            double err = Fixtures.relativeError(logits, Fixtures.floats(c.get("last_logits")));
            assertTrue(err <= TOLERANCE, "last logits relative error " + err);
            int[] generated = greedy(model, cache, logits, pos.next(), expected.length);
            assertArrayEquals(expected, generated, "greedy tokens");
        }
    }

    /** Greedy decoding without stopping at EOS, as the reference loop did. */
    static int[] greedy(Model model, KvCache cache, float[] logits, int nextPosition, int steps) {
        int[] out = new int[steps];
        float[] current = logits;
        for (int i = 0; i < steps; i++) {
            out[i] = Sampler.argmax(current, current.length);
            if (i + 1 < steps) {
                current = model.decoder().step(out[i], nextPosition++, cache);
            }
        }
        return out;
    }
}
