package dev.glimpse.think;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One line of an evaluation set (DESIGN.md: image relative to the jsonl file, question, answer,
 * optional kind), and the scoring rule: the extracted answer, lower-cased, trimmed of whitespace and
 * final punctuation, equal to the expected answer treated the same way.
 */
public record EvalItem(Path image, String question, String answer, String kind) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static List<EvalItem> readJsonl(Path file) throws IOException {
        Path base = file.toAbsolutePath().getParent();
        List<EvalItem> items = new ArrayList<>();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            JsonNode n;
            try {
                n = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IOException(file + " line " + (i + 1) + ": not valid JSON (" + e.getOriginalMessage() + ")");
            }
            for (String key : List.of("image", "question", "answer")) {
                if (!n.path(key).isTextual()) {
                    throw new IOException(file + " line " + (i + 1) + ": missing string field \"" + key + "\"");
                }
            }
            Path image = base.resolve(n.get("image").asText());
            if (!Files.isRegularFile(image)) {
                throw new IOException(file + " line " + (i + 1) + ": image " + image + " does not exist");
            }
            items.add(new EvalItem(image, n.get("question").asText(),
                    n.get("answer").asText(), n.path("kind").isTextual() ? n.get("kind").asText() : null));
        }
        if (items.isEmpty()) {
            throw new IOException(file + " has no items");
        }
        return items;
    }

    public boolean correct(String extractedAnswer) {
        return normalize(extractedAnswer).equals(normalize(answer));
    }

    static String normalize(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        int end = t.length();
        while (end > 0 && (isFinalPunctuation(t.charAt(end - 1)) || Character.isWhitespace(t.charAt(end - 1)))) {
            end--;
        }
        return t.substring(0, end);
    }

    private static boolean isFinalPunctuation(char c) {
        return ".,;:!?。，！？".indexOf(c) >= 0;
    }
}
