package dev.glimpse.think;

import dev.glimpse.chat.ChatFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The VisionThink conversation strings (VISIONTHINK.md), byte-exact from the bundled resources. */
public final class Prompts {

    public static final String SYSTEM = load("system_prompt.txt");
    public static final String USER_TEMPLATE = load("user_template.txt");
    public static final String AFTER_RESIZE = load("after_resize.txt");
    public static final String AFTER_ERROR = load("after_error.txt");

    /** The tool call round 1 stands for under --force-resize. */
    public static final String CANONICAL_RESIZE_CALL =
            "<tool_call>\n{\"name\": \"resize_image\", \"arguments\": {\"action\": \"resize\"}}\n</tool_call>";

    private static final String IM_START = "<|im_start|>";
    private static final String IM_END = "<|im_end|>";

    private Prompts() {
    }

    /** Round 1: VisionThink system prompt, the user template with one image block per image, then the question. */
    public static String roundOne(int[] padsPerImage, String question) {
        StringBuilder images = new StringBuilder();
        for (int pads : padsPerImage) {
            images.append(ChatFormat.imagePlaceholder(pads)).append('\n');
        }
        String user = USER_TEMPLATE.replace("{Question}", images + question);
        return IM_START + "system\n" + SYSTEM + IM_END + "\n" + IM_START + "user\n" + user + IM_END + "\n"
                + IM_START + "assistant\n";
    }

    /** Round 2 after a valid resize call: the originals inside a tool response, then the follow-up instruction. */
    public static String resizeTurn(int[] padsPerImage) {
        StringBuilder s = new StringBuilder(IM_START).append("user\n<tool_response>\nThe resized image is shown below:\n");
        for (int pads : padsPerImage) {
            s.append(ChatFormat.imagePlaceholder(pads)).append('\n');
        }
        return s.append("</tool_response>\n").append(AFTER_RESIZE).append(IM_END).append('\n')
                .append(IM_START).append("assistant\n").toString();
    }

    /** Round 2 after a malformed tool call. */
    public static String errorTurn(String errorText) {
        return IM_START + "user\n" + errorText + AFTER_ERROR + IM_END + "\n" + IM_START + "assistant\n";
    }

    private static String load(String name) {
        try (InputStream in = Prompts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource dev/glimpse/think/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
