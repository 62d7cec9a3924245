package dev.glimpse.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;

/** Finds the {@code <tool_call>} blocks of generated text and reads each as a {@link ToolCall}. */
final class ToolCallParser {

    private static final String OPEN = "<tool_call>";
    private static final String CLOSE = "</tool_call>";
    /** Two objects in one block ("{...} {...}") are an error, not the first of them. */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ToolCallParser() {
    }

    static List<ToolCall> parse(String text) {
        List<ToolCall> calls = new ArrayList<>();
        int open = text.indexOf(OPEN);
        while (open >= 0) {
            int start = open + OPEN.length();
            int close = text.indexOf(CLOSE, start);
            if (close < 0) {
                calls.add(new ToolCall.Malformed(text.substring(start), "no closing " + CLOSE + " (was the output cut short?)"));
                break;
            }
            calls.add(read(text.substring(start, close)));
            open = text.indexOf(OPEN, close + CLOSE.length());
        }
        return calls;
    }

    private static ToolCall read(String block) {
        JsonNode json;
        try {
            json = JSON.readTree(block.strip());
        } catch (JsonProcessingException e) {
            return new ToolCall.Malformed(block, "not valid JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            return new ToolCall.Malformed(block, "expected a JSON object with \"name\" and \"arguments\"");
        }
        JsonNode name = json.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            return new ToolCall.Malformed(block, "no \"name\" string");
        }
        JsonNode arguments = json.get("arguments");
        if (arguments == null || !arguments.isObject()) {
            return new ToolCall.Malformed(block, "\"arguments\" of " + name.asText() + " is not a JSON object");
        }
        return new ToolCall.Call(name.asText(), arguments);
    }
}
