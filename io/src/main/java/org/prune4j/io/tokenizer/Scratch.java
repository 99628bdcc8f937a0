package org.prune4j.io.tokenizer;

/**
 * Working arrays of one thread's BPE merges, reused from word to word so that encoding a corpus does not allocate
 * per word (the garbage otherwise triggers collections in the middle of a run). Words longer than {@link #MAX}
 * get fresh arrays, so a huge unsplit text is not kept alive.
 */
final class Scratch {
    static final int MAX = 1 << 12;

    final PairHeap heap = new PairHeap();
    private final int[][] ints = new int[6][16];
    private boolean[] flags = new boolean[16];

    /** Int array number k (0–5) of at least n elements; contents are garbage. */
    int[] ints(int k, int n) {
        if (n > MAX) return new int[n];
        if (ints[k].length < n) ints[k] = new int[Math.max(n, 2 * ints[k].length)];
        return ints[k];
    }

    /** A boolean array of at least n elements, cleared over [0, n). */
    boolean[] flags(int n) {
        if (n > MAX) return new boolean[n];
        if (flags.length < n) flags = new boolean[Math.max(n, 2 * flags.length)];
        java.util.Arrays.fill(flags, 0, n, false);
        return flags;
    }

    /** The heap, emptied (a fresh one for long words). */
    PairHeap heap(int n) {
        if (n > MAX) return new PairHeap();
        heap.clear();
        return heap;
    }
}
