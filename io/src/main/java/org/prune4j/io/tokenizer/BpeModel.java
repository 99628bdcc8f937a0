package org.prune4j.io.tokenizer;

import it.unimi.dsi.fastutil.ints.Int2IntOpenHashMap;
import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;
import java.nio.charset.StandardCharsets;

/**
 * The BPE model of Hugging Face tokenizers (models/bpe): a word's characters become vocabulary ids (unknown ones
 * become byte-fallback tokens or the unknown token), then the pair with the lowest merge rank is merged, leftmost
 * first, until no ranked pair is left (word.rs merge_all). Words are cached.
 */
final class BpeModel {
    static final char SPACE = '\u2581';

    final Object2IntOpenHashMap<String> vocab;
    final String[] idToToken;
    /** pack(left id, right id) → (rank << 32) | merged id. */
    private final Long2LongOpenHashMap merges;
    /** Code point → id of the one-character token (when no subword prefix/suffix is configured). */
    private final Int2IntOpenHashMap charIds = new Int2IntOpenHashMap();
    private final int unkId; // -1: no unknown token
    private final boolean fuseUnk, byteFallback, ignoreMerges;
    private final String prefix, suffix; // continuing_subword_prefix, end_of_word_suffix (null when unset)
    private final int[] byteIds = new int[256];
    /** Whether a long word may be cut before each '▁' that follows another char (see splitSafe). */
    private final boolean splitAtSpaces;
    /** Words arrive unmapped and are written in GPT-2's byte alphabet here (see PreTokenizers.endsWithByteLevel). */
    private final boolean byteLevelInput;
    /** Byte → id of its byte-level char's one-char token. */
    private final int[] byteLevelIds = new int[256];
    /**
     * Whether a byte-level word's symbols can be read straight off its UTF-8 bytes (every byte char is a token, no
     * prefix/suffix): then a cache miss skips the mapped string and the per-char hash lookups.
     */
    private final boolean byteLevelDirect;
    private final ThreadLocal<WordCache> caches = WordCache.perThread();

    BpeModel(Object2IntOpenHashMap<String> vocab, String[] idToToken, Long2LongOpenHashMap merges, int unkId,
             boolean fuseUnk, boolean byteFallback, boolean ignoreMerges, String prefix, String suffix, boolean byteLevelInput) {
        this.byteLevelInput = byteLevelInput;
        this.vocab = vocab;
        this.idToToken = idToToken;
        this.merges = merges;
        merges.defaultReturnValue(-1L);
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.byteFallback = byteFallback;
        this.ignoreMerges = ignoreMerges;
        this.prefix = prefix == null || prefix.isEmpty() ? null : prefix;
        this.suffix = suffix == null || suffix.isEmpty() ? null : suffix;
        charIds.defaultReturnValue(-1);
        if (this.prefix == null && this.suffix == null) {
            for (var e : vocab.object2IntEntrySet()) {
                String t = e.getKey();
                if (!t.isEmpty() && t.length() == Character.charCount(t.codePointAt(0))) charIds.put(t.codePointAt(0), e.getIntValue());
            }
        }
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.getInt(String.format("<0x%02X>", b));
        splitAtSpaces = !byteLevelInput && splitSafe();
        boolean direct = byteLevelInput && this.prefix == null && this.suffix == null;
        for (int b = 0; b < 256 && direct; b++) {
            byteLevelIds[b] = charIds.get(ByteLevelMap.BYTE_TO_CHAR[b]);
            direct = byteLevelIds[b] >= 0;
        }
        byteLevelDirect = direct;
    }

    /**
     * Cutting a word before each '▁' that follows a non-'▁' char gives the same ids as merging it whole when no
     * vocabulary token has a non-'▁' char followed by '▁' (so no merge can join across a cut, and ignore_merges never
     * matches across one), '▁' is itself a token (unknown runs stop at it), and no prefix/suffix makes ids depend on
     * the position in the word. SentencePiece-style vocabularies without a pre-tokenizer (Llama-2's tokenizer.json)
     * pass this check, so their one-word-per-text encoding still hits the word cache.
     */
    private boolean splitSafe() {
        if (prefix != null || suffix != null || vocab.getInt(String.valueOf(SPACE)) < 0) return false;
        for (String t : vocab.keySet()) {
            for (int i = 1; i < t.length(); i++) if (t.charAt(i) == SPACE && t.charAt(i - 1) != SPACE) return false;
        }
        return true;
    }

    /** The cache of the calling thread (fetch once per encode call). */
    WordCache cache() {
        return caches.get();
    }

    /** Appends the ids of one pre-tokenized word, the range [w.start, w.end) of w.src. */
    void tokenize(Segment w, WordCache cache, IdSink out) {
        tokenize(w.src(), w.start(), w.end(), cache, out);
    }

    /** Appends the ids of the word src[a, b) (no Segment needed: the scanning encoder passes ranges). */
    void tokenize(String src, int a, int b, WordCache cache, IdSink out) {
        if (a >= b) return;
        if (splitAtSpaces && b - a > WordCache.MAX_WORD) {
            int start = a;
            for (int i = a + 1; i <= b; i++) {
                if (i == b || (src.charAt(i) == SPACE && src.charAt(i - 1) != SPACE)) {
                    tokenizeCached(src, start, i, cache, out);
                    start = i;
                }
            }
            return;
        }
        tokenizeCached(src, a, b, cache, out);
    }

    private void tokenizeCached(String src, int a, int b, WordCache cache, IdSink out) {
        int h = WordCache.hash(src, a, b);
        int[] ids = cache.get(src, a, b, h);
        if (ids == null) {
            ids = byteLevelDirect ? tokenizeBytes(src, a, b, cache.scratch)
                    : tokenizeWord(byteLevelInput ? ByteLevelMap.encode(src.substring(a, b)) : src.substring(a, b), cache.scratch);
            cache.put(src, a, b, h, ids);
        }
        out.addAll(ids);
    }

    /**
     * tokenizeWord(ByteLevelMap.encode(src[a, b))) when {@link #byteLevelDirect}: one symbol per UTF-8 byte, taken
     * from {@link #byteLevelIds} (a lone surrogate is U+FFFD's bytes, as ByteLevelMap.encode writes it).
     */
    int[] tokenizeBytes(String src, int a, int b, Scratch scratch) {
        if (ignoreMerges) {
            int id = vocab.getInt(ByteLevelMap.encode(src.substring(a, b)));
            if (id >= 0) return new int[]{id};
        }
        int[] c = scratch.ints(0, 4 * (b - a) + 4);
        int n = 0;
        int[] ids = byteLevelIds;
        for (int i = a; i < b; i++) {
            char ch = src.charAt(i);
            if (ch < 0x80) {
                c[n++] = ids[ch];
                continue;
            }
            int cp = ch;
            if (Character.isHighSurrogate(ch) && i + 1 < b && Character.isLowSurrogate(src.charAt(i + 1))) {
                cp = Character.toCodePoint(ch, src.charAt(++i));
            } else if (Character.isSurrogate(ch)) {
                cp = 0xFFFD;
            }
            if (cp < 0x800) {
                c[n++] = ids[0xC0 | cp >> 6];
                c[n++] = ids[0x80 | cp & 0x3F];
            } else if (cp < 0x10000) {
                c[n++] = ids[0xE0 | cp >> 12];
                c[n++] = ids[0x80 | cp >> 6 & 0x3F];
                c[n++] = ids[0x80 | cp & 0x3F];
            } else {
                c[n++] = ids[0xF0 | cp >> 18];
                c[n++] = ids[0x80 | cp >> 12 & 0x3F];
                c[n++] = ids[0x80 | cp >> 6 & 0x3F];
                c[n++] = ids[0x80 | cp & 0x3F];
            }
        }
        return mergeAll(c, n, scratch);
    }

    /** tokenize_with_cache without the cache: ignore_merges lookup, then merge_word. */
    int[] tokenizeWord(String w, Scratch scratch) {
        if (ignoreMerges) {
            int id = vocab.getInt(w);
            if (id >= 0) return new int[]{id};
        }
        // merge_word: one symbol per character (byte-fallback tokens: one per byte).
        int[] c = scratch.ints(0, 4 * w.length() + 4); // byte fallback: up to 4 ids per char
        int n = 0;
        int pendingUnk = -1; // fused unknown waiting to be emitted
        for (int i = 0; i < w.length(); ) {
            int cp = w.codePointAt(i);
            int next = i + Character.charCount(cp);
            int id;
            String s = null;
            if (prefix == null && suffix == null) {
                id = charIds.get(cp);
            } else {
                s = w.substring(i, next);
                if (i > 0 && prefix != null) s = prefix + s;
                if (next == w.length() && suffix != null) s = s + suffix;
                id = vocab.getInt(s);
            }
            if (id >= 0) {
                if (pendingUnk >= 0) {
                    if (n == c.length) c = java.util.Arrays.copyOf(c, n * 2);
                    c[n++] = pendingUnk;
                    pendingUnk = -1;
                }
                if (n == c.length) c = java.util.Arrays.copyOf(c, n * 2);
                c[n++] = id;
            } else {
                byte[] bytes = null;
                if (byteFallback) {
                    if (s == null) s = w.substring(i, next);
                    bytes = s.getBytes(StandardCharsets.UTF_8);
                    for (byte b : bytes) if (byteIds[b & 0xff] < 0) bytes = null; // every byte token must exist
                }
                if (bytes != null) {
                    for (byte b : bytes) {
                        if (n == c.length) c = java.util.Arrays.copyOf(c, n * 2);
                        c[n++] = byteIds[b & 0xff];
                    }
                } else if (unkId >= 0) {
                    if (pendingUnk >= 0 && !fuseUnk) {
                        if (n == c.length) c = java.util.Arrays.copyOf(c, n * 2);
                        c[n++] = pendingUnk;
                    }
                    pendingUnk = unkId;
                } // no unknown token: the character is dropped, as tokenizers does
            }
            i = next;
        }
        if (pendingUnk >= 0) {
            if (n == c.length) c = java.util.Arrays.copyOf(c, n + 1);
            c[n++] = pendingUnk;
        }
        return mergeAll(c, n, scratch);
    }

    /** word.rs merge_all: lowest rank first, then leftmost; stale agenda entries are skipped. */
    private int[] mergeAll(int[] c, int n, Scratch scratch) {
        if (n < 2) return java.util.Arrays.copyOf(c, n);
        int[] prev = scratch.ints(1, n), next = scratch.ints(2, n);
        boolean[] gone = scratch.flags(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PairHeap queue = scratch.heap(n);
        for (int i = 0; i + 1 < n; i++) push(queue, i, c[i], c[i + 1]);
        int alive = n;
        while (!queue.isEmpty()) {
            int pos = (int) queue.topKey();
            int newId = (int) queue.topPayload();
            queue.pop();
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            long m = merges.get(SentencePieceTokenizer.pack(c[pos], c[right]));
            if (m == -1L || (int) m != newId) continue; // the pair changed since it was queued
            c[pos] = newId;
            gone[right] = true;
            alive--;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            if (prev[pos] >= 0) push(queue, prev[pos], c[prev[pos]], c[pos]);
            if (next[pos] >= 0) push(queue, pos, c[pos], c[next[pos]]);
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) out[k++] = c[i];
        return out;
    }

    private void push(PairHeap queue, int pos, int a, int b) {
        long m = merges.get(SentencePieceTokenizer.pack(a, b));
        if (m == -1L) return;
        queue.push((m & 0xffffffff00000000L) | pos, (int) m);
    }
}
