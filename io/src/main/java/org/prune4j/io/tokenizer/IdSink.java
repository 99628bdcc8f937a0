package org.prune4j.io.tokenizer;

import java.util.Arrays;

/** A growable int array that encoders append ids to (no boxing on the hot path). */
final class IdSink {
    private int[] a;
    private int n;

    IdSink(int capacity) {
        a = new int[Math.max(16, capacity)];
    }

    void add(int id) {
        if (n == a.length) a = Arrays.copyOf(a, n * 2);
        a[n++] = id;
    }

    void addAll(int[] ids) {
        if (n + ids.length > a.length) a = Arrays.copyOf(a, Math.max(n + ids.length, n * 2));
        System.arraycopy(ids, 0, a, n, ids.length);
        n += ids.length;
    }

    int size() {
        return n;
    }

    int[] toArray() {
        return Arrays.copyOf(a, n);
    }
}
