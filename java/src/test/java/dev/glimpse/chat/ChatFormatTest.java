package dev.glimpse.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of ChatFormat the golden conversations do not reach, against literal SPEC strings. */
class ChatFormatTest {

    @Test
    void imagePlaceholderRepeatsThePad() {
        assertEquals("<|vision_start|><|image_pad|><|image_pad|><|image_pad|><|vision_end|>", ChatFormat.imagePlaceholder(3));
        assertThrows(IllegalArgumentException.class, () -> ChatFormat.imagePlaceholder(0));
    }

    @Test
    void defaultSystemPromptCanBeChanged() {
        assertEquals("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                new ChatFormat("Be terse.").render(List.of(Message.user("hi")), true));
    }

    @Test
    void refusesWhatWouldBreakTheFormat() {
        ChatFormat format = new ChatFormat();
        assertThrows(IllegalArgumentException.class, () -> format.render(List.of(), true));
        assertThrows(IllegalArgumentException.class,
                () -> format.render(List.of(Message.user("hi")), List.of("{\"a\":\n1}"), true));
        assertThrows(NullPointerException.class, () -> Message.user(null));
    }
}
