package dev.glimpse.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glimpse.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Prompts rendered by transformers' apply_chat_template with Qwen's chat templates (golden.json,
 * written by tools/reference/chat_golden.py), and their ids from the HF tokenizer: exact equality.
 */
class ChatFormatGoldenTest {

    private static final Tokenizer TOKENIZER = Tokenizer.qwen25vl();

    static Stream<Arguments> cases() throws IOException {
        try (InputStream in = ChatFormatGoldenTest.class.getResourceAsStream("/chat/golden.json")) {
            JsonNode golden = new ObjectMapper().readTree(in);
            return StreamSupport.stream(golden.get("cases").spliterator(), false)
                    .map(c -> Arguments.of(c.get("name").asText(), c));
        }
    }

    private static String render(JsonNode c) {
        List<Message> messages = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
            Message.Role role = Message.Role.valueOf(m.get("role").asText().toUpperCase(Locale.ROOT));
            messages.add(new Message(role, m.get("content").asText()));
        }
        List<String> tools = new ArrayList<>();
        c.get("tools").forEach(t -> tools.add(t.asText()));
        return new ChatFormat().render(messages, tools, c.get("add_generation_prompt").asBoolean());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikeTheQwenTemplates(String name, JsonNode c) {
        assertEquals(c.get("prompt").asText(), render(c));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void renderedPromptTokenizesLikeTransformers(String name, JsonNode c) {
        int[] expected = StreamSupport.stream(c.get("ids").spliterator(), false).mapToInt(JsonNode::asInt).toArray();
        assertArrayEquals(expected, TOKENIZER.encode(render(c)));
    }
}
