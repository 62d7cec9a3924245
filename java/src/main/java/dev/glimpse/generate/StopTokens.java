package dev.glimpse.generate;

import dev.glimpse.model.Model;
import java.util.HashSet;
import java.util.Set;

/** The ids that end a turn: generation_config.json's EOS ids plus the tokenizer's {@code <|im_end|>}. */
final class StopTokens {

    private StopTokens() {
    }

    static Set<Integer> of(Model model) {
        Set<Integer> ids = new HashSet<>();
        for (int id : model.config().eosTokenIds()) {
            ids.add(id);
        }
        model.tokenizer().tokenId("<|im_end|>").ifPresent(ids::add);
        return Set.copyOf(ids);
    }
}
