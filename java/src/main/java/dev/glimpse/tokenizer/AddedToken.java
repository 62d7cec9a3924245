package dev.glimpse.tokenizer;

/**
 * An entry of tokenizer.json's added_tokens: text matched whole before any other step.
 *
 * @param special    whether decoding with skipSpecial drops it
 * @param normalized whether it is matched on normalized text rather than on the raw input
 */
record AddedToken(int id, String content, boolean special, boolean normalized) {
}
