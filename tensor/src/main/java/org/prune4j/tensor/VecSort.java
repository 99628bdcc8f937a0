package org.prune4j.tensor;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Stable sort and top-k along a dim. Each (value, index) pair is packed into one long whose signed order
 * is the wanted order: high half = the float's bits mapped to a monotone int (NaN canonical and largest,
 * -0 merged with +0, negated for descending), low half = the index. Every key is then distinct, so any
 * sort of the longs, stable or not, gives the stable order, and {@link Arrays#sort(long[])} runs the
 * JDK's SIMD sort. Top-k partitions the keys first (quickselect) and sorts only the k kept; a small k
 * (sampling's top 40 of a vocabulary) keeps a heap instead, skipping whole vectors that cannot enter it.
 * Long rows (pruning sorts whole weight matrices) are sorted in chunks on several threads and merged.
 */
final class VecSort {
    private VecSort() {}

    /** Rows at least this long are sorted with several threads. */
    private static final int PARALLEL_SORT_MIN = 1 << 16;

    static Indexed sort(int threads, Tensor a, int dim, boolean descending) {
        int d = Shapes.dim(dim, a.shape());
        return sorted(threads, a, d, descending, a.size(d));
    }

    static Indexed topk(int threads, Tensor a, int k, int dim, boolean largest) {
        int d = Shapes.dim(dim, a.shape());
        if (k < 0 || k > a.size(d))
            throw new ShapeException("topk k=" + k + " is out of range for dim " + dim + " of shape " + Shapes.str(a.shape()));
        return sorted(threads, a, d, largest, k);
    }

    /** The first k of each row along d in sorted order: values [.., k, ..] and their indices in the same layout. */
    private static Indexed sorted(int threads, Tensor a, int d, boolean descending, int k) {
        int[] shape = a.shape();
        int n = shape[d];
        int[] outShape = shape.clone();
        outShape[d] = k;
        float[] vals = new float[Shapes.checkedArrayLength(outShape)];
        int[] idx = new int[vals.length];
        if (vals.length == 0) return new Indexed(Tensor.of(vals, outShape), idx);
        Tensor x = a.toF32();
        float[] xa = x.array();
        int xo = (int) x.offset();
        int inner = 1;
        for (int i = d + 1; i < shape.length; i++) inner *= shape[i];
        int rows = vals.length / k, in = inner;
        boolean parallelRows = rows >= threads || n < PARALLEL_SORT_MIN;
        Parallel.forRange(parallelRows ? threads : 1, rows, 1, (from, to) -> {
            boolean few = (long) k * FEW <= n; // top-k for sampling: a heap of k, most values rejected by one compare
            long[] keys = new long[few ? k : n];
            for (int r = (int) from; r < to; r++) {
                int o = r / in, i = r % in; // row r = (outer o, inner i): elements x[o, j, i], j < n
                int src = xo + o * n * in + i;
                if (few) {
                    if (in == 1) heapTopContiguous(xa, src, n, k, descending, keys);
                    else heapTopStrided(xa, src, in, n, k, descending, keys);
                } else {
                    for (int j = 0; j < n; j++) keys[j] = key(xa[src + j * in], j, descending);
                    if (k < n) select(keys, n, k);
                }
                if (parallelRows || few) Arrays.sort(keys, 0, k);
                else parallelSort(threads, keys, k);
                int dst = o * k * in + i;
                for (int j = 0; j < k; j++) {
                    int at = (int) keys[j];
                    idx[dst + j * in] = at;
                    vals[dst + j * in] = xa[src + at * in];
                }
            }
        });
        return new Indexed(Tensor.of(vals, outShape), idx);
    }

    /** Top-k with k <= n / FEW keeps a heap of k keys instead of keying and partitioning all n values. */
    private static final int FEW = 16;

    /**
     * keys[0..k) = the k smallest keys of x[src + j], j < n, via a max-heap of the k best so far. Values are scanned
     * in index order, so a later value enters only when strictly better than the heap's worst value (on a tie
     * its larger index loses): a vector compare against that value rejects whole vectors at once.
     */
    private static void heapTopContiguous(float[] x, int src, int n, int k, boolean descending, long[] heap) {
        for (int j = 0; j < k; j++) heap[j] = key(x[src + j], j, descending);
        heapify(heap, k);
        int j = k;
        if (k > 0) {
            for (int bound = k + F.loopBound(n - k); j < bound; j += L) {
                float worst = value(heap[0], descending);
                FloatVector v = FloatVector.fromArray(F, x, src + j);
                VectorMask<Float> better = descending // NaN ranks above everything; a NaN worst is beaten by any number
                        ? v.compare(VectorOperators.GT, worst).or(v.test(VectorOperators.IS_NAN))
                        : Float.isNaN(worst) ? v.test(VectorOperators.IS_NAN).not() : v.compare(VectorOperators.LT, worst);
                if (!better.anyTrue()) continue;
                for (int l = 0; l < L; l++) offer(heap, k, key(x[src + j + l], j + l, descending));
            }
            for (; j < n; j++) offer(heap, k, key(x[src + j], j, descending));
        }
    }

    /** As {@link #heapTopContiguous} for a row whose elements are {@code stride} apart. */
    private static void heapTopStrided(float[] x, int src, int stride, int n, int k, boolean descending, long[] heap) {
        for (int j = 0; j < k; j++) heap[j] = key(x[src + j * stride], j, descending);
        heapify(heap, k);
        if (k > 0) for (int j = k; j < n; j++) offer(heap, k, key(x[src + j * stride], j, descending));
    }

    private static final jdk.incubator.vector.VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** The float a key was made from (NaN canonical, -0 as +0). */
    static float value(long key, boolean descending) {
        int mono = (int) (key >> 32);
        if (descending) mono = ~mono;
        return Float.intBitsToFloat(mono ^ ((mono >> 31) & 0x7fffffff));
    }

    /** Replaces the heap's largest key with {@code key} when smaller, restoring the max-heap. */
    private static void offer(long[] heap, int k, long key) {
        if (key >= heap[0]) return;
        heap[0] = key;
        siftDown(heap, 0, k);
    }

    private static void heapify(long[] heap, int k) {
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(heap, i, k);
    }

    private static void siftDown(long[] heap, int i, int k) {
        long v = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= k) break;
            if (c + 1 < k && heap[c + 1] > heap[c]) c++;
            if (heap[c] <= v) break;
            heap[i] = heap[c];
            i = c;
        }
        heap[i] = v;
    }

    /** The sort key of value v at index j: signed long order = (value order, then index ascending). */
    static long key(float v, int j, boolean descending) {
        int bits = v == 0 ? 0 : Float.floatToIntBits(v); // -0 sorts with +0; every NaN becomes the canonical one, above +inf
        int mono = bits ^ ((bits >> 31) & 0x7fffffff);     // negative floats: flip the magnitude bits, so int order = float order
        if (descending) mono = ~mono;                      // ~x reverses signed int order exactly
        return ((long) mono << 32) | j;
    }

    /** Rearranges keys[0..n) so the k smallest come first (in any order): Hoare quickselect, median-of-three pivots. */
    static void select(long[] keys, int n, int k) {
        int lo = 0, hi = n - 1;
        while (hi - lo > 16) {
            int mid = (lo + hi) >>> 1;
            long a = keys[lo], b = keys[mid], c = keys[hi];
            long pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
            int i = lo, j = hi;
            while (i <= j) {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i <= j) {
                    long t = keys[i];
                    keys[i++] = keys[j];
                    keys[j--] = t;
                }
            }
            // now [lo, j] <= pivot <= [i, hi]; keep the side holding position k-1
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
        Arrays.sort(keys, lo, hi + 1);
    }

    /** Sorts keys[0..n) with up to {@code threads} threads: chunks sorted in parallel, then merged pairwise. */
    static void parallelSort(int threads, long[] keys, int n) {
        int chunks = Math.min(threads, Math.max(1, n / (PARALLEL_SORT_MIN / 2)));
        if (chunks <= 1) {
            Arrays.sort(keys, 0, n);
            return;
        }
        int[] bounds = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) bounds[c] = (int) ((long) n * c / chunks);
        Parallel.forRange(chunks, chunks, 1, (from, to) -> {
            for (int c = (int) from; c < to; c++) Arrays.sort(keys, bounds[c], bounds[c + 1]);
        });
        long[] src = keys, dst = new long[n];
        for (int width = 1; width < chunks; width *= 2) {
            int w = width;
            long[] s = src, t = dst;
            int pairs = (chunks + 2 * w - 1) / (2 * w);
            Parallel.forRange(threads, pairs, 1, (from, to) -> {
                for (int p = (int) from; p < to; p++) {
                    int lo = bounds[p * 2 * w], mid = bounds[Math.min(chunks, p * 2 * w + w)], hi = bounds[Math.min(chunks, p * 2 * w + 2 * w)];
                    merge(s, lo, mid, hi, t);
                }
            });
            src = t;
            dst = s;
        }
        if (src != keys) System.arraycopy(src, 0, keys, 0, n);
    }

    private static void merge(long[] s, int lo, int mid, int hi, long[] t) {
        int i = lo, j = mid, o = lo;
        while (i < mid && j < hi) t[o++] = s[i] <= s[j] ? s[i++] : s[j++];
        while (i < mid) t[o++] = s[i++];
        while (j < hi) t[o++] = s[j++];
    }
}
