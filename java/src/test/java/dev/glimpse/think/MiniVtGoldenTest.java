package dev.glimpse.think;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.image.ImageDecoder;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.testing.Fixtures;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The built-in miniature VisionThink (models/minivt, trained by tools/minivt) run by the Java engine
 * gives PyTorch's greedy tokens in both rounds: 20 items of the committed split under the adaptive
 * protocol (with and without a resize request) and under high (data/minivt/golden.json).
 */
class MiniVtGoldenTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void javaEngineReproducesTorchTranscripts() throws Exception {
        Path goldenFile = ROOT.resolve("data/minivt/golden.json");
        JsonNode golden = new ObjectMapper().readTree(goldenFile.toFile());
        int maxNew = golden.get("max_new_tokens").asInt();
        int imEnd = golden.get("special_ids").get("im_end").asInt();
        int resized = 0;
        try (var backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, 2);
                Model model = Model.load(ROOT.resolve("models/minivt"), backend, LoadProgress.NONE)) {
            VisionThink think = new VisionThink(model);
            for (JsonNode item : golden.get("items")) {
                String label = "item " + item.get("index").asInt() + " " + item.get("policy").asText();
                var image = new ImageDecoder().decode(goldenFile.getParent().resolve(item.get("image").asText()));
                AskOptions options = new AskOptions(Policy.parse(item.get("policy").asText()), maxNew,
                        dev.glimpse.generate.SamplingOptions.GREEDY, false, false, 0, null, false);
                AskTrace trace = think.ask(List.of(image), item.get("question").asText(), options, id -> { });
                var first = trace.rounds().getFirst().round();
                assertArrayEquals(Fixtures.ints(item.get("round1_prompt_ids")), first.promptIds(), label + " round 1 prompt");
                assertArrayEquals(Fixtures.ints(item.get("round1_generated_ids")), first.generatedIds(), label + " round 1");
                assertEquals(item.get("resize_requested").asBoolean(), trace.resizeRequested(), label);
                if (item.get("round2_prompt_ids").isNull()) {
                    assertEquals(1, trace.rounds().size(), label);
                    continue;
                }
                resized++;
                var second = trace.rounds().get(1).round();
                int[] prompt = second.promptIds();
                assertEquals(imEnd, prompt[0], label + ": round 1's <|im_end|> is prefilled first");
                assertArrayEquals(Fixtures.ints(item.get("round2_prompt_ids")), Arrays.copyOfRange(prompt, 1, prompt.length),
                        label + " round 2 prompt (full-size image)");
                assertArrayEquals(Fixtures.ints(item.get("round2_generated_ids")), second.generatedIds(), label + " round 2");
                assertEquals(first.promptIds().length + first.generatedIds().length - 1, second.reusedTokens(),
                        label + " reused = round 1 minus its unfed last token");
            }
        }
        assertEquals(true, resized > 0, "some golden items exercise round 2");
    }
}
