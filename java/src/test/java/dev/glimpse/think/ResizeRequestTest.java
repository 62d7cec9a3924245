package dev.glimpse.think;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.glimpse.testing.Fixtures;
import org.junit.jupiter.api.Test;

/** The official loop's detection rules (VISIONTHINK.md), case by case. */
class ResizeRequestTest {

    @Test
    void theCanonicalCallIsAResize() {
        assertEquals(ResizeRequest.Kind.RESIZE, ResizeRequest.detect("<think>too small</think>\n"
                + Prompts.CANONICAL_RESIZE_CALL).kind());
    }

    @Test
    void nameIsNotChecked() {
        assertEquals(ResizeRequest.Kind.RESIZE, ResizeRequest.detect(
                "<tool_call>\n{\"name\": \"zoom\", \"arguments\": {\"action\": \"resize\"}}\n</tool_call>").kind());
    }

    @Test
    void noToolCallMeansAnAnswer() {
        assertEquals(ResizeRequest.Kind.NONE, ResizeRequest.detect("<think>ok</think><answer>red</answer>").kind());
    }

    @Test
    void malformedCallsSayWhatIsWrong() {
        ResizeRequest twoObjects = ResizeRequest.detect("<tool_call>\n{\"name\": \"a\", \"arguments\": {\"action\": "
                + "\"resize\"}}\n{\"name\": \"b\", \"arguments\": {\"action\": \"resize\"}}\n</tool_call>");
        assertEquals(ResizeRequest.Kind.MALFORMED, twoObjects.kind());
        assertTrue(twoObjects.error().contains("ONE"), twoObjects.error());
        ResizeRequest otherAction = ResizeRequest.detect(
                "<tool_call>\n{\"name\": \"resize_image\", \"arguments\": {\"action\": \"crop\"}}\n</tool_call>");
        assertEquals(ResizeRequest.Kind.MALFORMED, otherAction.kind());
        assertTrue(otherAction.error().contains("crop"), otherAction.error());
        assertEquals(ResizeRequest.Kind.MALFORMED, ResizeRequest.detect("<tool_call>resize please</tool_call>").kind());
        assertEquals(ResizeRequest.Kind.MALFORMED,
                ResizeRequest.detect("<tool_call>{\"name\": x, \"arguments\": {\"action\": 1}}</tool_call>").kind());
    }

    /** The object pattern's dot does not cross lines: an object split over lines is not found. */
    @Test
    void objectsMustSitOnOneLine() {
        assertEquals(ResizeRequest.Kind.MALFORMED, ResizeRequest.detect(
                "<tool_call>\n{\"name\": \"resize_image\",\n \"arguments\": {\"action\": \"resize\"}}\n</tool_call>").kind());
    }

    @Test
    void answerIsTheLastTaggedSpanOrEverything() {
        assertEquals("blue", ResizeRequest.extractAnswer("<answer>red</answer> then <answer> blue </answer>"));
        assertEquals("7", ResizeRequest.extractAnswer("<answer>7"));
        assertEquals("plain text", ResizeRequest.extractAnswer("plain text"));
    }

    /** Prompts rebuilt here must equal, byte for byte, what tools/reference made from VisionThink's strings. */
    @Test
    void promptsMatchTheReferenceConversation() {
        JsonNode parts = Fixtures.caseNamed(Fixtures.expected("vl-f32"), "visionthink-resize").get("parts");
        String question = Fixtures.caseNamed(Fixtures.expected("vl-f32"), "visionthink-resize").get("question").asText();
        assertEquals(parts.get("round1_prompt").asText(), Prompts.roundOne(new int[] {1}, question));
        assertEquals(parts.get("round1_reply").asText(), Prompts.CANONICAL_RESIZE_CALL + "<|im_end|>");
        assertEquals(parts.get("round2_turn").asText(), Prompts.resizeTurn(new int[] {1}));
    }
}
