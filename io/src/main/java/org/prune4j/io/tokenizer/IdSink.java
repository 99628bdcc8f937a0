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

    /** Appends another sink's ids (no intermediate array). */
    void addAll(IdSink ids) {
        if (n + ids.n > a.length) a = Arrays.copyOf(a, Math.max(n + ids.n, n * 2));
        System.arraycopy(ids.a, 0, a, n, ids.n);
        n += ids.n;
    }

    int size() {
        return n;
    }

    /** The ids; the sink's own array when it is exactly full (the sink must not be used after). */
    int[] toArray() {
        return n == a.length ? a : Arrays.copyOf(a, n);
    }
}
