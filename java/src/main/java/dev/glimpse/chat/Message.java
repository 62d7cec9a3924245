package dev.glimpse.chat;

import java.util.Objects;

/**
 * One turn of a conversation. Content is plain text; an image inside it is written as
 * {@link ChatFormat#imagePlaceholder(int)}, and an assistant's tool call as the
 * {@code <tool_call>} block the model generated.
 */
public record Message(Role role, String content) {

    public enum Role {
        SYSTEM, USER, ASSISTANT,
        /** A tool's result; rendered inside a user turn as {@code <tool_response>}. */
        TOOL;

        /** The name written after {@code <|im_start|>}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public Message {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public static Message system(String content) {
        return new Message(Role.SYSTEM, content);
    }

    public static Message user(String content) {
        return new Message(Role.USER, content);
    }

    public static Message assistant(String content) {
        return new Message(Role.ASSISTANT, content);
    }

    public static Message tool(String content) {
        return new Message(Role.TOOL, content);
    }
}
