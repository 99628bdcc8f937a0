package org.prune4j.io.tokenizer;

import java.util.Arrays;

/**
 * Word → ids, so each distinct word is merged once (merging is most of the cost of encoding natural text). Looked
 * up by a range of a larger string, so a hit allocates nothing. Bounded: once half full it is cleared, so memory
 * stays flat on any corpus. Not thread-safe: each thread uses its own (see {@link #perThread}).
 */
final class WordCache {
    /** Words longer than this (in chars) are not cached: they are rare and would pin memory. */
    static final int MAX_WORD = 96;
    private static final int SLOTS = 1 << 17;

    private final String[] keys = new String[SLOTS];
    private final int[] hashes = new int[SLOTS];
    private final int[][] values = new int[SLOTS][];
    private int size;

    /** A cache for the calling thread, one per owner. */
    static ThreadLocal<WordCache> perThread() {
        return ThreadLocal.withInitial(WordCache::new);
    }

    static int hash(String s, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + s.charAt(i);
        return h;
    }

    /** Ids cached for s[from, to) with the given hash, or null. */
    int[] get(String s, int from, int to, int h) {
        int len = to - from;
        if (len > MAX_WORD) return null;
        int mask = SLOTS - 1;
        for (int i = mix(h) & mask; ; i = (i + 1) & mask) {
            String k = keys[i];
            if (k == null) return null;
            if (hashes[i] == h && k.length() == len && k.regionMatches(0, s, from, len)) return values[i];
        }
    }

    void put(String word, int h, int[] ids) {
        if (word.length() > MAX_WORD) return;
        if (size >= SLOTS / 2) {
            Arrays.fill(keys, null);
            Arrays.fill(values, null);
            size = 0;
        }
        int mask = SLOTS - 1;
        int i = mix(h) & mask;
        while (keys[i] != null) {
            if (hashes[i] == h && keys[i].equals(word)) {
                values[i] = ids;
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = word;
        hashes[i] = h;
        values[i] = ids;
        size++;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
