package dev.glimpse.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * tokenizer.json's pre_tokenizer: cuts a stretch of text into the pieces that BPE encodes one by
 * one. Supported: Split by a regex (behavior Isolated), ByteLevel (optional prefix space, optional
 * GPT-2 regex) and a Sequence of those. Anything else is refused at load rather than guessed at.
 */
final class PreTokenizer {

    /** The split ByteLevel applies when use_regex is true (GPT-2's pattern). */
    static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** One step maps each piece to zero or more pieces. */
    private sealed interface Step permits RegexSplit, PrefixSpace {
        void apply(String piece, List<String> out);
    }

    /** Matches and the stretches between them all become pieces (Hugging Face's "Isolated"). */
    private record RegexSplit(Pattern pattern) implements Step {
        @Override
        public void apply(String piece, List<String> out) {
            Matcher m = pattern.matcher(piece);
            int end = 0;
            while (m.find()) {
                if (m.start() > end) {
                    out.add(piece.substring(end, m.start()));
                }
                if (m.end() > m.start()) {
                    out.add(piece.substring(m.start(), m.end()));
                }
                end = m.end();
            }
            if (end < piece.length()) {
                out.add(piece.substring(end));
            }
        }
    }

    /** ByteLevel's add_prefix_space: a piece that does not start with a space gets one. */
    private record PrefixSpace() implements Step {
        @Override
        public void apply(String piece, List<String> out) {
            out.add(piece.startsWith(" ") ? piece : " " + piece);
        }
    }

    private final List<Step> steps;
    private final boolean byteLevel;

    private PreTokenizer(List<Step> steps, boolean byteLevel) {
        this.steps = List.copyOf(steps);
        this.byteLevel = byteLevel;
    }

    /**
     * Reads a pre_tokenizer node (null or JSON null for none).
     *
     * @param source names the file in error messages
     */
    static PreTokenizer fromJson(JsonNode node, String source) throws IOException {
        List<Step> steps = new ArrayList<>();
        boolean byteLevel = node != null && !node.isNull() && read(node, steps, source);
        return new PreTokenizer(steps, byteLevel);
    }

    /** Whether a ByteLevel step is present, i.e. the vocabulary is spelled in byte characters. */
    boolean isByteLevel() {
        return byteLevel;
    }

    /** The pieces of a stretch of (normalized) text, in order; empty pieces are dropped. */
    List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        if (!text.isEmpty()) {
            pieces.add(text);
        }
        for (Step step : steps) {
            List<String> next = new ArrayList<>(pieces.size() * 2);
            for (String piece : pieces) {
                step.apply(piece, next);
            }
            pieces = next;
        }
        return pieces;
    }

    /** Appends the node's steps; returns whether it holds a ByteLevel step. */
    private static boolean read(JsonNode node, List<Step> steps, String source) throws IOException {
        String type = node.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                boolean byteLevel = false;
                for (JsonNode child : node.path("pretokenizers")) {
                    byteLevel |= read(child, steps, source);
                }
                return byteLevel;
            }
            case "Split" -> {
                String behavior = node.path("behavior").asText("");
                if (!behavior.equals("Isolated") || node.path("invert").asBoolean(false)) {
                    throw new IOException(source + ": pre_tokenizer Split with behavior " + behavior
                            + (node.path("invert").asBoolean(false) ? " and invert" : "")
                            + " is not supported (only Isolated, not inverted)");
                }
                steps.add(new RegexSplit(pattern(node.path("pattern"), source)));
                return false;
            }
            case "ByteLevel" -> {
                if (node.path("add_prefix_space").asBoolean(false)) {
                    steps.add(new PrefixSpace());
                }
                if (node.path("use_regex").asBoolean(true)) {
                    steps.add(new RegexSplit(compile(GPT2_PATTERN, source)));
                }
                return true;
            }
            default -> throw new IOException(source + ": pre_tokenizer type '" + type
                    + "' is not supported (Glimpse reads Sequence, Split and ByteLevel)");
        }
    }

    private static Pattern pattern(JsonNode pattern, String source) throws IOException {
        if (pattern.has("String")) {
            return Pattern.compile(Pattern.quote(pattern.get("String").asText()));
        }
        if (pattern.has("Regex")) {
            return compile(pattern.get("Regex").asText(), source);
        }
        throw new IOException(source + ": pre_tokenizer Split has no pattern.Regex or pattern.String");
    }

    /**
     * Compiles a regex written for Oniguruma (what Hugging Face uses). The constructs tokenizer
     * files use ({@code \p{L}}, {@code \s}, {@code (?i:...)}, lookahead) mean the same in Java
     * once {@code \s} and case folding are Unicode-aware. {@code \h} is the common escape whose
     * meaning differs (a hex digit there, horizontal space here), so it is refused.
     */
    private static Pattern compile(String regex, String source) throws IOException {
        if (usesHexEscape(regex)) {
            throw new IOException(source + ": pre_tokenizer regex uses \\h or \\H, which Oniguruma and Java read"
                    + " differently: " + regex);
        }
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IOException(source + ": pre_tokenizer regex cannot be compiled in Java: " + e.getMessage(), e);
        }
    }

    private static boolean usesHexEscape(String regex) {
        for (int i = 0; i + 1 < regex.length(); i++) {
            if (regex.charAt(i) == '\\') {
                char escaped = regex.charAt(++i);
                if (escaped == 'h' || escaped == 'H') {
                    return true;
                }
            }
        }
        return false;
    }
}
