package dev.glimpse.tokenizer;

import java.util.Arrays;

/**
 * The BPE merge list as an open-addressing hash table from a pair of token ids to the merge's
 * rank (its line in the list; lower merges first) and the id of the merged token.
 */
final class MergeTable {

    private static final long EMPTY = -1L;

    private final long[] keys;
    private final int[] ranks;
    private final int mask;
    private final int shift;
    private final int[] mergedIds;

    /** {@code left[r] right[r] -> merged[r]} is the merge of rank r. */
    MergeTable(int[] left, int[] right, int[] merged) {
        int capacity = Integer.highestOneBit(Math.max(4, left.length * 2 - 1)) << 1;
        keys = new long[capacity];
        ranks = new int[capacity];
        mask = capacity - 1;
        shift = Long.numberOfLeadingZeros(capacity) + 1;
        mergedIds = merged.clone();
        Arrays.fill(keys, EMPTY);
        for (int rank = 0; rank < left.length; rank++) {
            int slot = find(key(left[rank], right[rank]));
            keys[slot] = key(left[rank], right[rank]);
            ranks[slot] = rank; // a repeated pair keeps its last rank, as in Hugging Face
        }
    }

    /** The rank of merging {@code left right}, or -1 when the pair is not a merge. */
    int rank(int left, int right) {
        int slot = find(key(left, right));
        return keys[slot] == EMPTY ? -1 : ranks[slot];
    }

    int mergedId(int rank) {
        return mergedIds[rank];
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** The slot holding the key, or the empty slot where it would go. */
    private int find(long key) {
        int slot = (int) ((key * 0x9E3779B97F4A7C15L) >>> shift); // Fibonacci hashing: the top bits
        while (keys[slot] != EMPTY && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }
}
