package dev.glimpse.think;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.backend.cpu.VectorBackend;
import jdk.incubator.vector.FloatVector;
import dev.glimpse.generate.Round;
import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.generate.Session;
import dev.glimpse.generate.TokenListener;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.model.VisionEncoder;
import dev.glimpse.tensor.Tensor;
import dev.glimpse.testing.Fixtures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Round 2 on round 1's KV cache equals transformers' fresh prefill of the whole two-round
 * conversation (issue 4): the half-size round and the canonical tool call are prefilled first, the
 * round-2 turn with the full image goes on the same cache, and the logits after it must be within
 * 1e-4 of transformers' one-pass logits, with identical greedy tokens; the reused count is round 1's length.
 */
class KvReuseFidelityTest {

    @ParameterizedTest
    @ValueSource(strings = {"vl-f32", "vl-bf16"})
    void roundTwoOnTheReusedCacheEqualsAFreshPrefill(String fixture) throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected(fixture), "visionthink-resize");
        int[] ids = Fixtures.ints(c.get("prompt_ids"));
        int roundOneEnd = c.get("spans").get("round1_reply").get(1).asInt();
        int[] roundOne = Arrays.copyOfRange(ids, 0, roundOneEnd);
        int[] roundTwo = Arrays.copyOfRange(ids, roundOneEnd, ids.length);
        int[] lowGrid = Fixtures.ints(c.get("image_grid_thw").get(0));
        int[] fullGrid = Fixtures.ints(c.get("image_grid_thw").get(1));
        int[] expected = Fixtures.ints(c.get("generated_ids"));
        try (var backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, 2);
                Model model = Model.load(Fixtures.checkpoint(fixture), backend, LoadProgress.NONE)) {
            Session session = new Session(model, ids.length + expected.length + 8);
            Tensor low = embeddings(model, c.get("images").get(0).asText(), lowGrid);
            Round first = session.run(roundOne, List.of(lowGrid), low, 0, SamplingOptions.GREEDY, TokenListener.NONE);
            assertEquals(0, first.generatedIds().length);
            Tensor full = embeddings(model, c.get("images").get(1).asText(), fullGrid);
            Round second = session.run(roundTwo, List.of(fullGrid), full, expected.length, SamplingOptions.GREEDY,
                    TokenListener.NONE);
            assertEquals(roundOneEnd, second.reusedTokens(), "reused tokens = round 1's length");
            assertEquals(roundTwo.length, second.prefillTokens(), "only the new turn is prefilled");
            int stop = c.get("first_eos_step").isNull() ? expected.length : c.get("first_eos_step").asInt() + 1;
            assertArrayEquals(Arrays.copyOf(expected, stop), second.generatedIds(), "greedy tokens after reuse");
            assertEquals(ids.length + c.get("rope_delta").asInt() + stop - 1, session.nextPosition(),
                    "positions continue from the conversation's rope_delta");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"vl-f32", "vl-bf16"})
    void logitsAfterReuseMatchTransformers(String fixture) throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected(fixture), "visionthink-resize");
        int[] ids = Fixtures.ints(c.get("prompt_ids"));
        int split = c.get("spans").get("round1_reply").get(1).asInt();
        int roundOnePromptEnd = c.get("spans").get("round1_prompt").get(1).asInt();
        int[] lowGrid = Fixtures.ints(c.get("image_grid_thw").get(0));
        int[] fullGrid = Fixtures.ints(c.get("image_grid_thw").get(1));
        try (var backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, 2);
                Model model = Model.load(Fixtures.checkpoint(fixture), backend, LoadProgress.NONE)) {
            var positions = dev.glimpse.model.MRope.ropeIndex(ids, model.config().imageTokenId(),
                    List.of(lowGrid, fullGrid), 2, 0);
            var cache = model.newCache(ids.length);
            Tensor low = embeddings(model, c.get("images").get(0).asText(), lowGrid);
            float[] atRoundOne = model.decoder().forward(Arrays.copyOfRange(ids, 0, roundOnePromptEnd),
                    slice(positions.axes(), 0, roundOnePromptEnd), low, cache).clone();
            double err1 = Fixtures.relativeError(atRoundOne, Fixtures.floats(c.get("round1_prompt_last_logits")));
            assertTrue(err1 <= 1e-4, "round-1 logits relative error " + err1);
            model.decoder().forward(Arrays.copyOfRange(ids, roundOnePromptEnd, split),
                    slice(positions.axes(), roundOnePromptEnd, split), null, cache);
            Tensor full = embeddings(model, c.get("images").get(1).asText(), fullGrid);
            float[] last = model.decoder().forward(Arrays.copyOfRange(ids, split, ids.length),
                    slice(positions.axes(), split, ids.length), full, cache);
            double err = Fixtures.relativeError(last, Fixtures.floats(c.get("last_logits")));
            assertTrue(err <= 1e-4, "logits after KV reuse relative error " + err);
        }
    }

    private static int[][] slice(int[][] axes, int from, int to) {
        return new int[][] {Arrays.copyOfRange(axes[0], from, to), Arrays.copyOfRange(axes[1], from, to),
                Arrays.copyOfRange(axes[2], from, to)};
    }

    private static Tensor embeddings(Model model, String image, int[] grid) throws Exception {
        VisionEncoder.Patches p = dev.glimpse.model.VisionFidelityTest.patches(image, grid);
        Tensor out = model.backend().allocate("embeds-" + image, model.vision().tokens(p),
                model.config().text().hiddenSize());
        model.vision().encode(List.of(p), out);
        return out;
    }
}
