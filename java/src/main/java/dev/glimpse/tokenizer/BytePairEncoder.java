package dev.glimpse.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE of one pre-tokenized piece: its UTF-8 bytes start as single-byte tokens, then
 * the adjacent pair of lowest merge rank is merged (leftmost first on ties) until no pair is a
 * merge. A priority queue keeps that linear-logarithmic even for very long pieces.
 */
final class BytePairEncoder {

    /** Pieces longer than this are not cached (Hugging Face uses the same bound). */
    private static final int MAX_CACHED_LENGTH = 256;
    private static final int CACHE_LIMIT = 100_000;

    private final MergeTable merges;
    private final int[] byteTokenIds;
    /** Non-null when the model's ignore_merges is set: a piece found whole in it is one token. */
    private final Map<String, Integer> wholeWordVocab;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param byteTokenIds   the id of the single-byte token of each byte value
     * @param wholeWordVocab the vocabulary, when whole pieces found in it skip merging; else null
     */
    BytePairEncoder(MergeTable merges, int[] byteTokenIds, Map<String, Integer> wholeWordVocab) {
        this.merges = merges;
        this.byteTokenIds = byteTokenIds.clone();
        this.wholeWordVocab = wholeWordVocab;
    }

    /** The token ids of one piece. The returned array is shared: callers must not change it. */
    int[] encode(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        int[] ids = merge(piece.getBytes(StandardCharsets.UTF_8));
        if (piece.length() <= MAX_CACHED_LENGTH) {
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear(); // crude but bounded; real text reuses a small set of words
            }
            cache.put(piece, ids);
        }
        return ids;
    }

    private int[] merge(byte[] bytes) {
        int n = bytes.length;
        if (wholeWordVocab != null) {
            Integer whole = wholeWordVocab.get(ByteLevel.toChars(bytes));
            if (whole != null) {
                return new int[] {whole};
            }
        }
        // Symbols form a linked list over their start positions; a merged symbol keeps the left one's.
        int[] symbol = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            symbol[i] = byteTokenIds[bytes[i] & 0xFF];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Candidate merges ordered by (rank, position); entries made stale by earlier merges are skipped.
        PriorityQueue<Long> queue = new PriorityQueue<>();
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, symbol[i], symbol[i + 1], i);
        }
        int count = n;
        while (!queue.isEmpty()) {
            long top = queue.poll();
            int rank = (int) (top >>> 32);
            int left = (int) top;
            int right = next[left];
            if (symbol[left] < 0 || right < 0 || merges.rank(symbol[left], symbol[right]) != rank) {
                continue;
            }
            symbol[left] = merges.mergedId(rank);
            symbol[right] = -1;
            next[left] = next[right];
            if (next[left] >= 0) {
                prev[next[left]] = left;
            }
            count--;
            if (prev[left] >= 0) {
                offer(queue, symbol[prev[left]], symbol[left], prev[left]);
            }
            if (next[left] >= 0) {
                offer(queue, symbol[left], symbol[next[left]], left);
            }
        }
        int[] ids = new int[count];
        for (int i = 0, k = 0; i >= 0 && k < count; i = next[i]) {
            ids[k++] = symbol[i];
        }
        return ids;
    }

    private void offer(PriorityQueue<Long> queue, int left, int right, int position) {
        int rank = merges.rank(left, right);
        if (rank >= 0) {
            queue.add(((long) rank << 32) | position);
        }
    }
}
