package org.prune4j.io.tokenizer;

import java.util.Arrays;

/**
 * Word → ids, so each distinct word is merged once (merging is most of the cost of encoding natural text). Looked
 * up by a range of a larger string, so a hit allocates nothing; the words themselves are packed in one char array so
 * a lookup touches little memory. Bounded: past {@link #MAX_SLOTS} / 2 words it is cleared, so memory stays flat on
 * any corpus. Not thread-safe: each thread uses its own (see {@link #perThread}).
 */
final class WordCache {
    /** Words longer than this (in chars) are not cached: they are rare and would pin memory. */
    static final int MAX_WORD = 96;
    static final int MAX_SLOTS = 1 << 18;

    /** The owning thread's merge buffers (the cache is per thread, so they travel with it). */
    final Scratch scratch = new Scratch();

    private int[] hashes, offsets, lengths; // lengths[i] == 0: empty slot
    private int[][] values;
    private char[] arena = new char[1 << 14];
    private int arenaUsed, size;

    WordCache() {
        allocate(1 << 12);
    }

    private void allocate(int slots) {
        hashes = new int[slots];
        offsets = new int[slots];
        lengths = new int[slots];
        values = new int[slots][];
    }

    /** A cache for the calling thread, one per owner. */
    static ThreadLocal<WordCache> perThread() {
        return ThreadLocal.withInitial(WordCache::new);
    }

    static int hash(String s, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + s.charAt(i);
        return h;
    }

    static int hash(char[] a, int from, int to) {
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + a[i];
        return h;
    }

    /** Ids cached for a[from, to) with the given hash, or null. */
    int[] get(char[] a, int from, int to, int h) {
        int len = to - from;
        if (len > MAX_WORD) return null;
        int mask = hashes.length - 1;
        for (int i = mix(h) & mask; ; i = (i + 1) & mask) {
            int l = lengths[i];
            if (l == 0) return null;
            if (hashes[i] == h && l == len && java.util.Arrays.equals(arena, offsets[i], offsets[i] + len, a, from, to)) return values[i];
        }
    }

    /** Caches the ids of a[from, to) (which must not be cached yet) under hash h. */
    void put(char[] a, int from, int to, int h, int[] ids) {
        put(new String(a, from, to - from), 0, to - from, h, ids);
    }

    /** Ids cached for s[from, to) with the given hash, or null. */
    int[] get(String s, int from, int to, int h) {
        int len = to - from;
        if (len > MAX_WORD) return null;
        int mask = hashes.length - 1;
        for (int i = mix(h) & mask; ; i = (i + 1) & mask) {
            int l = lengths[i];
            if (l == 0) return null;
            if (hashes[i] == h && l == len && same(s, from, offsets[i], len)) return values[i];
        }
    }

    private boolean same(String s, int from, int at, int len) {
        char[] a = arena;
        for (int k = 0; k < len; k++) if (a[at + k] != s.charAt(from + k)) return false;
        return true;
    }

    /** Caches the ids of s[from, to) (which must not be cached yet) under hash h. */
    void put(String s, int from, int to, int h, int[] ids) {
        int len = to - from;
        if (len > MAX_WORD || len == 0) return;
        if (2 * (size + 1) > hashes.length) {
            if (hashes.length >= MAX_SLOTS) clear();
            else rehash(hashes.length * 2);
        }
        if (arenaUsed + len > arena.length) arena = Arrays.copyOf(arena, Math.max(arena.length * 2, arenaUsed + len));
        s.getChars(from, to, arena, arenaUsed);
        insert(h, arenaUsed, len, ids);
        arenaUsed += len;
        size++;
    }

    private void insert(int h, int offset, int len, int[] ids) {
        int mask = hashes.length - 1;
        int i = mix(h) & mask;
        while (lengths[i] != 0) i = (i + 1) & mask;
        hashes[i] = h;
        offsets[i] = offset;
        lengths[i] = len;
        values[i] = ids;
    }

    private void rehash(int slots) {
        int[] oh = hashes, oo = offsets, ol = lengths;
        int[][] ov = values;
        allocate(slots);
        for (int i = 0; i < oh.length; i++) if (ol[i] != 0) insert(oh[i], oo[i], ol[i], ov[i]);
    }

    private void clear() {
        Arrays.fill(lengths, 0);
        Arrays.fill(values, null);
        arenaUsed = 0;
        size = 0;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9;
        return h ^ (h >>> 15);
    }
}
