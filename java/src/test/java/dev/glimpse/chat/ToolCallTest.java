package dev.glimpse.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Tool-call blocks in generated text, against literal expectations. */
class ToolCallTest {

    private static ToolCall.Malformed onlyMalformed(String text) {
        List<ToolCall> calls = ToolCall.parse(text);
        assertEquals(1, calls.size(), text);
        return assertInstanceOf(ToolCall.Malformed.class, calls.getFirst());
    }

    @Test
    void readsVisionThinksResizeRequest() {
        String text = "<think>The digits are too small.</think>\n<tool_call>\n"
                + "{\"name\": \"resize_image\", \"arguments\": {\"action\": \"resize\"}}\n</tool_call>";
        List<ToolCall> calls = ToolCall.parse(text);
        assertEquals(1, calls.size());
        ToolCall.Call call = assertInstanceOf(ToolCall.Call.class, calls.getFirst());
        assertEquals("resize_image", call.name());
        assertEquals("resize", call.arguments().get("action").asText());
        assertEquals(1, call.arguments().size());
    }

    @Test
    void readsSeveralCallsInOrderAndIgnoresTheTextAround() {
        String text = "Checking both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"SF\"}}\n</tool_call>\n"
                + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"NYC\", \"days\": [1, 2]}}\n</tool_call> done";
        List<ToolCall> calls = ToolCall.parse(text);
        assertEquals(2, calls.size());
        assertEquals("SF", ((ToolCall.Call) calls.get(0)).arguments().get("city").asText());
        assertEquals(2, ((ToolCall.Call) calls.get(1)).arguments().get("days").get(1).asInt());
        assertTrue(ToolCall.parse("No tools needed: the answer is 42. </tool_call>").isEmpty());
    }

    @Test
    void malformedBlocksSayWhatIsWrong() {
        assertTrue(onlyMalformed("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}\n</tool_call>")
                .problem().startsWith("not valid JSON"));
        assertTrue(onlyMalformed("<tool_call>{\"name\": \"f\", \"arguments\": {}} {\"name\": \"g\", \"arguments\": {}}</tool_call>")
                .problem().startsWith("not valid JSON"), "two objects in one block");
        assertEquals("no \"name\" string", onlyMalformed("<tool_call>{\"arguments\": {}}</tool_call>").problem());
        assertEquals("\"arguments\" of f is not a JSON object",
                onlyMalformed("<tool_call>{\"name\": \"f\", \"arguments\": \"{}\"}</tool_call>").problem());
        assertEquals("expected a JSON object with \"name\" and \"arguments\"",
                onlyMalformed("<tool_call>[1, 2]</tool_call>").problem());
        assertEquals("expected a JSON object with \"name\" and \"arguments\"",
                onlyMalformed("<tool_call>\n</tool_call>").problem());
        ToolCall.Malformed cut = onlyMalformed("<tool_call>\n{\"name\": \"f\", \"argu");
        assertTrue(cut.problem().startsWith("no closing </tool_call>"));
        assertEquals("\n{\"name\": \"f\", \"argu", cut.block());
    }

    @Test
    void goodAndBadCallsKeepTheirOrder() {
        List<ToolCall> calls = ToolCall.parse("<tool_call>oops</tool_call><tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>");
        assertInstanceOf(ToolCall.Malformed.class, calls.get(0));
        assertEquals("f", assertInstanceOf(ToolCall.Call.class, calls.get(1)).name());
    }
}
