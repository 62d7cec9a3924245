package dev.glimpse.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Splits text around occurrences of added tokens, leftmost first and, among matches starting at
 * the same place, longest first (Hugging Face's Aho-Corasick "leftmost-longest" order).
 */
final class AddedTokenMatcher {

    /** Candidates by first character, longest first. */
    private final Map<Character, List<AddedToken>> byFirstChar = new HashMap<>();

    AddedTokenMatcher(List<AddedToken> tokens) {
        for (AddedToken token : tokens) {
            if (!token.content().isEmpty()) {
                byFirstChar.computeIfAbsent(token.content().charAt(0), c -> new ArrayList<>()).add(token);
            }
        }
        byFirstChar.values().forEach(list -> list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed()));
    }

    /** Hands each matched token's id and each non-empty stretch of text between matches on, in order. */
    void split(String text, IntConsumer onToken, Consumer<String> onText) {
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) {
                onText.accept(text);
            }
            return;
        }
        int start = 0;
        int i = 0;
        while (i < text.length()) {
            AddedToken match = longestAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (i > start) {
                onText.accept(text.substring(start, i));
            }
            onToken.accept(match.id());
            i += match.content().length();
            start = i;
        }
        if (start < text.length()) {
            onText.accept(start == 0 ? text : text.substring(start));
        }
    }

    private AddedToken longestAt(String text, int i) {
        List<AddedToken> candidates = byFirstChar.get(text.charAt(i));
        if (candidates != null) {
            for (AddedToken token : candidates) {
                if (text.startsWith(token.content(), i)) {
                    return token;
                }
            }
        }
        return null;
    }
}
