package org.prune4j.io.tokenizer;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Pre-token → ids, so each distinct word is merged once (the bulk of encoding time in natural text). Bounded: once
 * full it is cleared, so memory stays flat on any corpus; thread-safe because tokenizers are shared.
 */
final class WordCache {
    /** Words longer than this (in chars) are not cached: they are rare and would pin memory. */
    static final int MAX_WORD = 96;
    private static final int CAPACITY = 1 << 17;

    private final ConcurrentHashMap<String, int[]> map = new ConcurrentHashMap<>(1 << 12);

    int[] get(String word) {
        return word.length() > MAX_WORD ? null : map.get(word);
    }

    void put(String word, int[] ids) {
        if (word.length() > MAX_WORD) return;
        if (map.size() >= CAPACITY) map.clear();
        map.put(word, ids);
    }
}
