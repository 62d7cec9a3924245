package dev.glimpse.chat;

import java.util.List;
import java.util.Objects;

/**
 * Renders a conversation as the Qwen2.5-VL prompt text (SPEC section 5): ChatML turns
 * {@code <|im_start|>role\ncontent<|im_end|>\n}, a default system turn when the conversation has
 * none, and - from the Qwen2.5 template, since the VL template has no tools branch - a hermes-style
 * tools block in the system turn and tool results inside user turns (consecutive results share one).
 * The output is plain text: encode it with the tokenizer, which turns the markers into their ids.
 */
public final class ChatFormat {

    /** Qwen2.5-VL's default system prompt. */
    public static final String DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant.";

    private static final String IM_START = "<|im_start|>";
    private static final String IM_END = "<|im_end|>";
    private static final String TOOLS_HEADER = "\n\n# Tools\n\nYou may call one or more functions to assist with the user"
            + " query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    private static final String TOOLS_FOOTER = "\n</tools>\n\nFor each function call, return a json object with function"
            + " name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>,"
            + " \"arguments\": <args-json-object>}\n</tool_call>";

    private final String defaultSystemPrompt;

    /** The format with Qwen2.5-VL's default system prompt. */
    public ChatFormat() {
        this(DEFAULT_SYSTEM_PROMPT);
    }

    /** @param defaultSystemPrompt the system turn used when the first message is not a system message */
    public ChatFormat(String defaultSystemPrompt) {
        this.defaultSystemPrompt = Objects.requireNonNull(defaultSystemPrompt, "defaultSystemPrompt");
    }

    /** The image marker the vision encoder's tokens replace: {@code padTokens} = grid_t·grid_h·grid_w / 4. */
    public static String imagePlaceholder(int padTokens) {
        if (padTokens < 1) {
            throw new IllegalArgumentException("an image needs at least one <|image_pad|>, got " + padTokens);
        }
        return "<|vision_start|>" + "<|image_pad|>".repeat(padTokens) + "<|vision_end|>";
    }

    /** {@link #render(List, List, boolean)} without tools. */
    /**
     * A user turn that continues a conversation whose last assistant turn ended with {@code <|im_end|>}
     * (that token already belongs to the conversation): the newline the template puts after it, the
     * user turn, the generation prompt.
     */
    public static String nextUserTurn(String content) {
        return "\n" + IM_START + "user\n" + content + IM_END + "\n" + IM_START + "assistant\n";
    }

    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), addGenerationPrompt);
    }

    /**
     * @param toolJsonLines       one JSON object per tool, each on one line (as Python's
     *                            {@code json.dumps} writes it, for prompts identical to transformers');
     *                            empty for no tools block
     * @param addGenerationPrompt end with {@code <|im_start|>assistant\n} so that the model answers
     */
    public String render(List<Message> messages, List<String> toolJsonLines, boolean addGenerationPrompt) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a conversation needs at least one message");
        }
        StringBuilder out = new StringBuilder();
        boolean ownSystem = messages.getFirst().role() == Message.Role.SYSTEM;
        out.append(IM_START).append("system\n").append(ownSystem ? messages.getFirst().content() : defaultSystemPrompt);
        if (!toolJsonLines.isEmpty()) {
            out.append(TOOLS_HEADER);
            for (String tool : toolJsonLines) {
                if (tool.indexOf('\n') >= 0) {
                    throw new IllegalArgumentException("a tool's JSON must be one line: " + tool);
                }
                out.append('\n').append(tool);
            }
            out.append(TOOLS_FOOTER);
        }
        out.append(IM_END).append('\n');
        for (int i = ownSystem ? 1 : 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m.role() == Message.Role.TOOL) {
                if (i == 0 || messages.get(i - 1).role() != Message.Role.TOOL) {
                    out.append(IM_START).append("user");
                }
                out.append("\n<tool_response>\n").append(m.content()).append("\n</tool_response>");
                if (i == messages.size() - 1 || messages.get(i + 1).role() != Message.Role.TOOL) {
                    out.append(IM_END).append('\n');
                }
            } else {
                out.append(IM_START).append(m.role().wireName()).append('\n').append(m.content()).append(IM_END).append('\n');
            }
        }
        if (addGenerationPrompt) {
            out.append(IM_START).append("assistant\n");
        }
        return out.toString();
    }
}
