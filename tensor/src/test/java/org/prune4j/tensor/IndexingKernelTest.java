package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Gathers, joins, sort and top-k of VectorKernels: all exact (they only move values), so compared bit for bit. */
class IndexingKernelTest {
    static final Kernels S = ScalarKernels.INSTANCE;
    static final Kernels V = new VectorKernels(2);
    static final Kernels V3 = new VectorKernels(3);

    static void sameIndexed(Indexed e, Indexed a, String what) {
        Close.exact(e.values(), a.values(), what + ": values");
        assertArrayEquals(e.indices(), a.indices(), what + ": indices");
    }

    // ---------------------------------------------------------------- embedding, concat, index-select

    @Test
    void embeddingGathersRowsFromAnyTable() {
        qt().withExamples(60).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int vocab = r.nextInt(1, 50), c = RandomViews.dim(r, 100);
            Tensor table = RandomViews.random(r, vocab, c);
            int[] ids = r.ints(r.nextInt(0, 20), 0, vocab).toArray();
            Close.exact(S.embedding(table, ids), V.embedding(table, ids), "embedding of " + Arrays.toString(ids) + " from " + RandomViews.describe(table));
        });
        // a mapped-BF16-like table, many ids (split over threads)
        Tensor table = Tensor.randn(1, 1f, 300, 257).to(DType.BF16, Arena.ofAuto());
        int[] ids = new SplittableRandom(2).ints(700, 0, 300).toArray();
        Close.exact(S.embedding(table, ids), V3.embedding(table, ids), "BF16 table");
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> V.embedding(table, new int[] {3, 300}));
        assertTrue(e.getMessage().contains("300") && e.getMessage().contains("position 1"), e.getMessage());
    }

    @Test
    void concatMatchesOracleAndNarrowGivesThePartsBack() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 4, 20, 0.05);
            int dim = r.nextInt(shape.length);
            Tensor[] parts = new Tensor[r.nextInt(1, 5)];
            for (int i = 0; i < parts.length; i++) {
                int[] s = shape.clone();
                s[dim] = r.nextInt(0, 12);
                parts[i] = RandomViews.random(r, s);
            }
            int negDim = dim - shape.length; // the same dim counted from the end
            Tensor e = S.concat(dim, parts), a = V.concat(r.nextBoolean() ? dim : negDim, parts);
            Close.exact(e, a, "concat along " + dim);
            int at = 0;
            for (Tensor p : parts) {
                Close.exact(p.copy(), a.narrow(dim, at, p.size(dim)), "part at " + at);
                at += p.size(dim);
            }
        });
        Tensor x = Tensor.randn(1, 1f, 300, 130), y = Tensor.randn(2, 1f, 300, 70).to(DType.F16, Arena.ofAuto());
        Close.exact(S.concat(1, x, y), V3.concat(1, x, y), "large concat");
    }

    @Test
    void indexSelectMatchesOracle() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 4, 30, 0.05);
            int dim = r.nextInt(shape.length);
            Tensor a = RandomViews.random(r, shape);
            int[] index = shape[dim] == 0 ? new int[0] : r.ints(r.nextInt(0, 8), 0, shape[dim]).toArray(); // repeats allowed
            Close.exact(S.indexSelect(a, dim, index), V.indexSelect(a, dim, index),
                    "indexSelect " + Arrays.toString(index) + " along " + dim + " of " + RandomViews.describe(a));
        });
        // structured pruning's case: rows and columns of a BF16 weight (slab path) and of a heap one
        Tensor w = Tensor.randn(3, 1f, 96, 200).to(DType.BF16, Arena.ofAuto());
        int[] keep = {0, 5, 6, 50, 95, 5};
        Close.exact(S.indexSelect(w, 0, keep), V3.indexSelect(w, 0, keep), "rows of BF16");
        Close.exact(S.indexSelect(w, 1, keep), V3.indexSelect(w, 1, keep), "columns of BF16");
        Tensor w3 = Tensor.randn(4, 1f, 4, 50, 70).transpose(0, 1);
        Close.exact(S.indexSelect(w3, 1, new int[] {3, 1}), V.indexSelect(w3, 1, new int[] {3, 1}), "middle dim of a transposed view");
        ShapeException e = assertThrows(ShapeException.class, () -> V.indexSelect(w, 1, new int[] {200}));
        assertTrue(e.getMessage().contains("200") && e.getMessage().contains("[96, 200]"), e.getMessage());
    }

    // ---------------------------------------------------------------- sort and top-k

    @Test
    void sortAndTopkMatchOracle() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 3, 60, 0.05);
            int dim = r.nextInt(shape.length);
            RandomViews.Values values = r.nextBoolean() ? RandomViews.Values.NORMAL : RandomViews.Values.SMALL_INTS; // ties
            Tensor a = RandomViews.random(r, values, shape);
            boolean desc = r.nextBoolean();
            String what = "along " + dim + (desc ? " descending " : " ") + RandomViews.describe(a);
            sameIndexed(S.sort(a, dim, desc), V.sort(a, dim, desc), "sort " + what);
            int k = r.nextInt(0, shape[dim] + 1);
            sameIndexed(S.topk(a, k, dim, desc), V.topk(a, k, dim, desc), "topk " + k + " " + what);
        });
    }

    @Test
    void sortIsAStablePermutationInOrderAndTopkIsItsPrefix() {
        qt().withExamples(80).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int n = RandomViews.dim(r, 200), rows = r.nextInt(1, 4);
            Tensor a = RandomViews.random(r, RandomViews.Values.SMALL_INTS, rows, n);
            boolean desc = r.nextBoolean();
            Indexed s = V.sort(a, 1, desc);
            int k = r.nextInt(0, n + 1);
            Indexed top = V.topk(a, k, 1, desc);
            for (int row = 0; row < rows; row++) {
                boolean[] seen = new boolean[n];
                for (int j = 0; j < n; j++) {
                    int i = s.indices()[row * n + j];
                    assertFalse(seen[i], "index " + i + " twice");
                    seen[i] = true;
                    assertEquals(a.get(row, i), s.values().get(row, j), "value at its index");
                    if (j > 0) {
                        float prev = s.values().get(row, j - 1), cur = s.values().get(row, j);
                        int c = SortOrder.compare(prev, cur);
                        assertTrue(desc ? c >= 0 : c <= 0, "ordered at " + j);
                        if (c == 0) assertTrue(s.indices()[row * n + j - 1] < i, "stable: ties keep index order");
                    }
                    if (j < k) {
                        assertEquals(i, top.indices()[row * k + j], "topk is the prefix of sort");
                        assertEquals(s.values().get(row, j), top.values().get(row, j));
                    }
                }
            }
        });
    }

    @Test
    void sortOrdersNanLargestAndMergesSignedZeros() {
        float nan = Float.NaN;
        Tensor a = Tensor.of(new float[] {0f, nan, -0f, Float.NEGATIVE_INFINITY, 1f, nan, Float.POSITIVE_INFINITY, -0f}, 8);
        for (Kernels k : new Kernels[] {S, V}) {
            assertArrayEquals(new int[] {3, 0, 2, 7, 4, 6, 1, 5}, k.sort(a, 0, false).indices(), k.name() + " ascending");
            assertArrayEquals(new int[] {1, 5, 6, 4, 0, 2, 7, 3}, k.sort(a, 0, true).indices(), k.name() + " descending");
            assertArrayEquals(new int[] {1, 5, 6}, k.topk(a, 3, 0, true).indices(), k.name() + " top 3");
            assertArrayEquals(new int[] {3, 0}, k.topk(a, 2, 0, false).indices(), k.name() + " bottom 2");
        }
    }

    @Test
    void smallTopkOfLongRowsMatchesOracle() {
        // k much smaller than the row (sampling's top-k over a vocabulary): the heap path, with ties, NaN and -0
        qt().withExamples(40).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int n = r.nextInt(16, 3000), rows = r.nextInt(1, 4);
            RandomViews.Values values = switch (r.nextInt(3)) {
                case 0 -> RandomViews.Values.SMALL_INTS;
                case 1 -> rr -> rr.nextInt(50) == 0 ? Float.NaN : (rr.nextBoolean() ? -0f : (float) rr.nextGaussian());
                default -> RandomViews.Values.NORMAL;
            };
            Tensor a = r.nextBoolean() ? RandomViews.random(r, values, rows, n) : RandomViews.random(r, values, n, rows).t();
            int k = r.nextInt(0, n / 16 + 1);
            for (boolean largest : new boolean[] {true, false})
                sameIndexed(S.topk(a, k, -1, largest), V.topk(a, k, -1, largest), "top " + k + (largest ? " largest" : " smallest") + " of " + RandomViews.describe(a));
            Tensor col = a.t(); // along dim 0: strided rows
            sameIndexed(S.topk(col, k, 0, true), V.topk(col, k, 0, true), "top " + k + " along dim 0");
        });
        // sorted inputs: every value enters the heap
        float[] up = new float[5000];
        for (int i = 0; i < up.length; i++) up[i] = i;
        Tensor t = Tensor.of(up, 5000);
        sameIndexed(S.topk(t, 40, 0, true), V.topk(t, 40, 0, true), "ascending input");
        sameIndexed(S.topk(t, 40, 0, false), V.topk(t, 40, 0, false), "ascending input, smallest");
    }

    @Test
    void longRowsSortOnSeveralThreads() {
        // one row of 150k values: chunks sorted on each thread, then merged; top-k through quickselect
        Tensor a = RandomViews.fresh(new SplittableRandom(3), RandomViews.Values.SMALL_INTS, RandomViews.Storage.HEAP, 150_000);
        Indexed sorted = S.sort(a, 0, true), bottom = S.topk(a, 1000, 0, false);
        for (Kernels k : new Kernels[] {V, V3, new VectorKernels(4)}) {
            sameIndexed(sorted, k.sort(a, 0, true), "sort 150k " + k.name());
            sameIndexed(bottom, k.topk(a, 1000, 0, false), "bottom 1000 of 150k " + k.name());
        }
        Tensor wide = Tensor.randn(4, 1f, 2, 70_000);
        sameIndexed(S.topk(wide, 35_000, 1, true), V3.topk(wide, 35_000, 1, true), "top half of two rows");
    }
}
