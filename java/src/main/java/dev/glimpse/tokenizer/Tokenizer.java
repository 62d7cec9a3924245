package dev.glimpse.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.IntStream;

/**
 * A byte-level BPE tokenizer read from a Hugging Face tokenizer.json, giving the same ids as the
 * {@code tokenizers} library. Encoding: added tokens are split out of the raw text (leftmost,
 * longest first), the rest is normalized (NFC for Qwen), cut by the pre-tokenizer regex into
 * pieces, and each piece's UTF-8 bytes are merged by BPE rank. No BOS is added. Decoding joins
 * the tokens' bytes and reads them as UTF-8, one U+FFFD per invalid sequence. Thread-safe.
 */
public final class Tokenizer {

    /** The bundled Qwen2.5-VL tokenizer, relative to this class. */
    public static final String QWEN25VL_RESOURCE = "qwen2.5-vl/tokenizer.json.gz";

    private final Map<String, Integer> tokenIds;
    private final String[] tokens;
    private final boolean[] special;
    /** The bytes of token i are tokenBytes[tokenOffsets[i], tokenOffsets[i + 1]); none for unused ids. */
    private final byte[] tokenBytes;
    private final int[] tokenOffsets;
    private final AddedTokenMatcher rawAddedTokens;
    private final AddedTokenMatcher normalizedAddedTokens;
    private final Normalizer.Form normalization;
    private final PreTokenizer preTokenizer;
    private final BytePairEncoder bpe;

    Tokenizer(Map<String, Integer> vocab, List<AddedToken> addedTokens, Normalizer.Form normalization,
              PreTokenizer preTokenizer, BytePairEncoder bpe) {
        this.normalization = normalization;
        this.preTokenizer = preTokenizer;
        this.bpe = bpe;
        int size = 0;
        for (int id : vocab.values()) {
            size = Math.max(size, id + 1);
        }
        for (AddedToken t : addedTokens) {
            size = Math.max(size, t.id() + 1);
        }
        tokens = new String[size];
        special = new boolean[size];
        vocab.forEach((token, id) -> tokens[id] = token);
        Map<String, Integer> ids = new HashMap<>(vocab);
        // Added tokens take precedence over a vocabulary entry with the same id or text, as in HF.
        for (AddedToken t : addedTokens) {
            tokens[t.id()] = t.content();
            special[t.id()] = t.special();
            ids.put(t.content(), t.id());
        }
        tokenIds = Collections.unmodifiableMap(ids);
        rawAddedTokens = new AddedTokenMatcher(addedTokens.stream().filter(t -> !t.normalized()).toList());
        normalizedAddedTokens = new AddedTokenMatcher(addedTokens.stream().filter(AddedToken::normalized).toList());

        byte[][] bytes = new byte[size][];
        int total = 0;
        for (int id = 0; id < size; id++) {
            bytes[id] = tokens[id] == null ? new byte[0] : ByteLevel.toBytes(tokens[id]);
            total += bytes[id].length;
        }
        tokenBytes = new byte[total];
        tokenOffsets = new int[size + 1];
        for (int id = 0; id < size; id++) {
            System.arraycopy(bytes[id], 0, tokenBytes, tokenOffsets[id], bytes[id].length);
            tokenOffsets[id + 1] = tokenOffsets[id] + bytes[id].length;
        }
    }

    /**
     * Reads a tokenizer.json, plain or gzip-compressed (recognized by its first bytes, not its name).
     *
     * @throws IOException naming the file and what is wrong: missing, unreadable, damaged, not JSON,
     *                     or a tokenizer kind or setting Glimpse does not implement
     */
    public static Tokenizer load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    Files.exists(file) ? "not a regular file" : "tokenizer file not found");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return TokenizerJsonReader.read(in, file.toString());
        }
    }

    /** The Qwen2.5-VL tokenizer bundled with Glimpse. */
    public static Tokenizer qwen25vl() {
        try (InputStream in = Tokenizer.class.getResourceAsStream(QWEN25VL_RESOURCE)) {
            if (in == null) {
                throw new IOException("resource " + QWEN25VL_RESOURCE + " is missing from the classpath; rebuild Glimpse");
            }
            return TokenizerJsonReader.read(in, "bundled " + QWEN25VL_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids of a text; added tokens written in it (e.g. {@code <|im_start|>}) become their ids. */
    public int[] encode(String text) {
        IntStream.Builder ids = IntStream.builder();
        rawAddedTokens.split(Utf8.replaceLoneSurrogates(text), ids, raw -> {
            String normalized = normalization == null ? raw : Normalizer.normalize(raw, normalization);
            normalizedAddedTokens.split(normalized, ids, stretch -> {
                for (String piece : preTokenizer.split(stretch)) {
                    for (int id : bpe.encode(piece)) {
                        ids.add(id);
                    }
                }
            });
        });
        return ids.build().toArray();
    }

    /**
     * The text of a sequence of ids. With {@code skipSpecial}, added tokens marked special in
     * tokenizer.json are left out. Ids outside the vocabulary are left out, as Hugging Face does.
     */
    public String decode(int[] ids, boolean skipSpecial) {
        int length = 0;
        for (int id : ids) {
            length += byteCount(id, skipSpecial);
        }
        byte[] bytes = new byte[length];
        int at = 0;
        for (int id : ids) {
            int n = byteCount(id, skipSpecial);
            if (n > 0) {
                System.arraycopy(tokenBytes, tokenOffsets[id], bytes, at, n);
                at += n;
            }
        }
        StringBuilder text = new StringBuilder(length);
        Utf8.decode(bytes, length, text, true);
        return text.toString();
    }

    /** A decoder for ids that arrive one at a time, as during generation. */
    public StreamDecoder streamDecoder(boolean skipSpecial) {
        return new StreamDecoder(skipSpecial);
    }

    /** The id of a vocabulary entry or added token, spelled as in tokenizer.json. */
    public OptionalInt tokenId(String token) {
        Integer id = tokenIds.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token with this id, spelled as in tokenizer.json (byte-level characters, e.g. "Ġthe"). */
    public String token(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new IllegalArgumentException("token id " + id + " is not in the vocabulary (ids 0.." + (tokens.length - 1) + ")");
        }
        return tokens[id];
    }

    /** One more than the highest id of the vocabulary and the added tokens. */
    public int vocabSize() {
        return tokens.length;
    }

    /** Whether the id is an added token whose "special" flag is set (dropped by skipSpecial). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    private int byteCount(int id, boolean skipSpecial) {
        if (id < 0 || id >= special.length || (skipSpecial && special[id])) {
            return 0;
        }
        return tokenOffsets[id + 1] - tokenOffsets[id];
    }

    /**
     * Turns ids into text as they arrive. {@link #push} returns only text that is complete: the
     * bytes of a character split over several tokens are held until its last byte arrives, so the
     * concatenation of every push and the final {@link #flush} equals {@link #decode} of all ids.
     * Not thread-safe; one per generation.
     */
    public final class StreamDecoder {

        private final boolean skipSpecial;
        private byte[] pending = new byte[16];
        private int pendingLength;
        private final StringBuilder text = new StringBuilder();

        private StreamDecoder(boolean skipSpecial) {
            this.skipSpecial = skipSpecial;
        }

        /** Adds one id; returns the text it completes (often empty mid-character). */
        public String push(int id) {
            int n = byteCount(id, skipSpecial);
            if (n == 0) {
                return "";
            }
            if (pendingLength + n > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + n));
            }
            System.arraycopy(tokenBytes, tokenOffsets[id], pending, pendingLength, n);
            pendingLength += n;
            return drain(false);
        }

        /** Ends the stream: bytes of an unfinished character become U+FFFD. Returns that text. */
        public String flush() {
            return drain(true);
        }

        private String drain(boolean endOfInput) {
            text.setLength(0);
            int used = Utf8.decode(pending, pendingLength, text, endOfInput);
            System.arraycopy(pending, used, pending, 0, pendingLength - used);
            pendingLength -= used;
            return text.toString();
        }
    }
}
