package org.prune4j.io.tokenizer;

import java.util.Arrays;

/**
 * A binary min-heap of (key, payload) longs: the agenda of candidate merges in BPE. Smallest key pops first; keys
 * encode (priority, left position) so ties resolve the way the reference libraries resolve them. Reusable via clear().
 */
final class PairHeap {
    private long[] keys = new long[64];
    private long[] payloads = new long[64];
    private int size;

    void clear() {
        size = 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long key, long payload) {
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            payloads = Arrays.copyOf(payloads, size * 2);
        }
        int i = size++;
        while (i > 0) { // sift up
            int parent = (i - 1) >>> 1;
            if (keys[parent] <= key) break;
            keys[i] = keys[parent];
            payloads[i] = payloads[parent];
            i = parent;
        }
        keys[i] = key;
        payloads[i] = payload;
    }

    /** Key of the smallest entry (heap must not be empty). */
    long topKey() {
        return keys[0];
    }

    /** Payload of the smallest entry (heap must not be empty). */
    long topPayload() {
        return payloads[0];
    }

    /** Removes the smallest entry. */
    void pop() {
        long key = keys[--size];
        long payload = payloads[size];
        int i = 0;
        int half = size >>> 1;
        while (i < half) { // sift down
            int child = 2 * i + 1;
            if (child + 1 < size && keys[child + 1] < keys[child]) child++;
            if (key <= keys[child]) break;
            keys[i] = keys[child];
            payloads[i] = payloads[child];
            i = child;
        }
        keys[i] = key;
        payloads[i] = payload;
    }
}
