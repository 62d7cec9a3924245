package dev.glimpse.chat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A function call the model wrote in Qwen's hermes style,
 * {@code <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>}: either a {@link Call} or,
 * when the block cannot be read, a {@link Malformed} saying why (to report back to the model).
 */
public sealed interface ToolCall {

    /** A well-formed call: a non-empty function name and a JSON object of arguments. */
    record Call(String name, JsonNode arguments) implements ToolCall {
    }

    /** A block that is not a call: its text between the tags, and what is wrong with it. */
    record Malformed(String block, String problem) implements ToolCall {
    }

    /** Every {@code <tool_call>} block of a generated text, in order; text outside them is ignored. */
    static List<ToolCall> parse(String text) {
        return ToolCallParser.parse(text);
    }
}
