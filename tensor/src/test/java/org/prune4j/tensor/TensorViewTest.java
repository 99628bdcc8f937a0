package org.prune4j.tensor;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Views (no copies), their index arithmetic, PyTorch's view rules, and storage-backed tensors. */
class TensorViewTest {
    static Tensor arange(int... shape) {
        float[] d = new float[(int) Shapes.numel(shape)];
        for (int i = 0; i < d.length; i++) d[i] = i;
        return Tensor.of(d, shape);
    }

    @Test
    void transposeOfTransposeIsIdentity() {
        qt().forAll(integers().between(1, 7), integers().between(1, 7), integers().between(0, 1000))
                .checkAssert((m, n, seed) -> {
                    Tensor a = Tensor.randn(seed, 1f, m, n);
                    assertArrayEquals(a.toFloatArray(), a.t().t().toFloatArray());
                    assertFalse(m > 1 && n > 1 && a.t().isContiguous());
                });
    }

    @Test
    void permuteThenInversePermuteIsTheSameView() {
        qt().withExamples(200).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 1, 5, 6, 0.05);
            Tensor a = RandomViews.random(r, shape);
            int[] p = new int[shape.length], inv = new int[shape.length];
            for (int i = 0; i < p.length; i++) p[i] = i;
            for (int i = p.length - 1; i > 0; i--) {
                int j = r.nextInt(i + 1), t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            for (int i = 0; i < p.length; i++) inv[p[i]] = i;
            Tensor b = a.permute(p);
            for (int i = 0; i < p.length; i++) assertEquals(shape[p[i]], b.size(i));
            Tensor back = b.permute(inv);
            assertArrayEquals(a.shape(), back.shape());
            assertArrayEquals(a.strides(), back.strides());
            assertEquals(a.offset(), back.offset());
            assertSame(a.storage(), back.storage(), "permute never copies");
        });
    }

    @Test
    void reshapeRoundTripsAndCopiesOnlyWhenTheStridesCannotExpressIt() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 8, 0.05);
            Tensor a = RandomViews.random(r, shape);
            float[] values = a.toFloatArray();
            Tensor flat = a.reshape(-1);
            assertArrayEquals(values, flat.toFloatArray(), "flatten keeps row-major order");
            Tensor back = flat.reshape(shape);
            assertArrayEquals(shape, back.shape());
            assertArrayEquals(values, back.toFloatArray(), "reshape round trip");
            boolean viewable;
            try {
                a.view(-1);
                viewable = true;
            } catch (ShapeException e) {
                viewable = false;
            }
            assertEquals(viewable, flat.storage() == a.storage(), "reshape copies iff view is impossible: " + RandomViews.describe(a));
            if (a.isContiguous()) assertTrue(viewable, "a contiguous tensor can always be flattened without a copy");
        });
    }

    @Test
    void viewFollowsPyTorchStrideRules() {
        // expected strides: what torch.Tensor.view gives for the same layouts (its computeStride rule)
        Tensor t = Tensor.zeros(2, 3, 4).transpose(0, 1); // [3, 2, 4] strides [4, 12, 1]
        assertArrayEquals(new long[] {4, 12, 2, 1}, t.view(3, 2, 2, 2).strides());
        assertArrayEquals(new long[] {4, 12, 1, 1}, t.view(3, 2, 4, 1).strides());
        ShapeException e = assertThrows(ShapeException.class, () -> t.view(3, 8));
        assertTrue(e.getMessage().contains("[3, 2, 4]") && e.getMessage().contains("[3, 8]"), e.getMessage());
        assertThrows(ShapeException.class, () -> t.view(6, 4));
        assertNotSame(t.storage(), t.reshape(6, 4).storage(), "reshape falls back to a copy");

        Tensor x = Tensor.zeros(3, 1).expand(3, 4); // strides [1, 0]
        assertArrayEquals(new long[] {1, 0, 0}, x.view(3, 2, 2).strides());
        assertThrows(ShapeException.class, () -> x.view(12));

        Tensor n = Tensor.zeros(4, 6).narrow(1, 0, 3); // [4, 3] strides [6, 1]
        assertArrayEquals(new long[] {12, 6, 1}, n.view(2, 2, 3).strides());
        assertArrayEquals(new long[] {6, 3, 1}, n.view(4, 1, 3).strides());
        assertThrows(ShapeException.class, () -> n.view(12));

        assertArrayEquals(new long[] {2, 2}, Tensor.zeros(10).slice(0, 0, 10, 2).view(5, 1).strides());
        assertArrayEquals(new int[] {1, 1}, Tensor.scalar(3f).view(1, 1).shape());
        assertEquals(0, Tensor.scalar(3f).view(1, 1).view().rank());
        assertArrayEquals(new int[] {2, 6}, Tensor.zeros(2, 3, 2).view(2, -1).shape());
        assertArrayEquals(new int[] {3, 0}, Tensor.zeros(0, 3).view(3, 0).shape());
        assertThrows(ShapeException.class, () -> Tensor.zeros(0, 3).view(-1, 0), "-1 is ambiguous with 0 elements");
        assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).view(-1, -1));
    }

    @Test
    void illegalReshapeStatesBothShapes() {
        Tensor a = Tensor.zeros(2, 3);
        ShapeException e = assertThrows(ShapeException.class, () -> a.reshape(4, 2));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> a.reshape(4, -1));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, -1]"), e.getMessage());
    }

    @Test
    void narrowSliceSelectAndSqueezeIndexTheRightElements() {
        Tensor a = arange(4, 5, 6);
        Tensor n = a.narrow(1, 1, 3);
        assertEquals(a.get(2, 3, 4), n.get(2, 2, 4));
        Tensor s = a.slice(2, 1, 6, 2); // columns 1, 3, 5
        assertArrayEquals(new int[] {4, 5, 3}, s.shape());
        assertEquals(a.get(3, 4, 5), s.get(3, 4, 2));
        assertEquals(2, a.slice(0, 0, 3, 2).size(0), "ceil((3 - 0) / 2) rows");
        Tensor sel = a.select(-1, 2);
        assertArrayEquals(new int[] {4, 5}, sel.shape());
        assertEquals(a.get(1, 2, 2), sel.get(1, 2));
        Tensor u = a.unsqueeze(1);
        assertArrayEquals(new int[] {4, 1, 5, 6}, u.shape());
        assertEquals(a.get(3, 1, 1), u.get(3, 0, 1, 1));
        assertArrayEquals(new int[] {4, 5, 6, 1}, a.unsqueeze(-1).shape());
        assertArrayEquals(a.shape(), u.squeeze(1).shape());
        for (Tensor v : new Tensor[] {n, s, sel, u}) assertSame(a.storage(), v.storage(), "views share storage");
        assertEquals(0, a.narrow(0, 4, 0).numel());
        assertEquals(0, a.slice(1, 2, 2, 3).numel());

        for (Runnable bad : new Runnable[] {() -> a.narrow(1, 3, 3), () -> a.slice(2, 0, 7, 1), () -> a.slice(2, 0, 6, 0),
                () -> a.select(0, 4), () -> a.squeeze(0), () -> a.unsqueeze(5), () -> a.transpose(0, 3), () -> a.permute(0, 0, 1),
                () -> a.permute(0, 1), () -> a.get(4, 0, 0), () -> a.get(0, 0)}) {
            ShapeException e = assertThrows(ShapeException.class, bad::run);
            assertTrue(e.getMessage().contains("[4, 5, 6]"), e.getMessage());
        }
    }

    @Test
    void expandBroadcastsWithStrideZeroWithoutCopying() {
        Tensor a = arange(3, 1);
        Tensor e = a.expand(2, 3, 4);
        assertArrayEquals(new long[] {0, 1, 0}, e.strides());
        assertSame(a.storage(), e.storage());
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) assertEquals(j, e.get(i, j, k));
        assertArrayEquals(new int[] {3, 1}, a.expand(-1, -1).shape());
        assertArrayEquals(new int[] {3, 0}, a.expand(3, 0).shape());
        ShapeException x = assertThrows(ShapeException.class, () -> a.expand(4, 4));
        assertTrue(x.getMessage().contains("[3, 1]") && x.getMessage().contains("[4, 4]"), x.getMessage());
        assertThrows(ShapeException.class, () -> a.expand(4));
        assertThrows(ShapeException.class, () -> a.expand(-1, 3, 4));
    }

    @Test
    void contiguousCopiesOnlyWhenNeeded() {
        Tensor a = arange(4, 6);
        assertSame(a, a.contiguous());
        Tensor rows = a.narrow(0, 1, 2);
        assertSame(rows, rows.contiguous(), "a block of whole rows is contiguous");
        Tensor cols = a.narrow(1, 1, 2);
        assertNotSame(cols.storage(), cols.contiguous().storage());
        assertArrayEquals(cols.toFloatArray(), cols.contiguous().toFloatArray());
        assertTrue(a.t().contiguous().isContiguous());
        assertTrue(a.unsqueeze(0).expand(1, 4, 6).isContiguous(), "size-1 dims may have any stride");
        assertFalse(a.unsqueeze(0).expand(2, 4, 6).isContiguous());
        assertTrue(a.t().narrow(0, 0, 0).isContiguous(), "empty tensors are contiguous");
        Tensor bf = a.to(DType.BF16, Arena.ofAuto());
        assertSame(bf, bf.contiguous(), "contiguous keeps BF16 storage");
        assertEquals(DType.F32, bf.t().contiguous().dtype(), "a copy is F32");
        assertNotSame(bf, bf.toF32());
        assertSame(a, a.toF32());
    }

    @Test
    void segmentStorageViewsReadAndWriteInPlace() {
        qt().withExamples(100).forAll(longs().all()).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            int[] shape = RandomViews.shape(r, 0, 4, 12, 0.05);
            Tensor heap = RandomViews.random(r, shape);
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                Tensor seg = heap.to(dt, Arena.ofAuto());
                assertEquals(dt, seg.dtype());
                float[] expect = heap.toFloatArray();
                for (int i = 0; i < expect.length; i++) expect[i] = round(dt, expect[i]);
                assertArrayEquals(expect, seg.toFloatArray(), dt + " copy of " + RandomViews.describe(heap));
                if (shape.length >= 2) { // write through a transposed view of the segment
                    Tensor view = seg.transpose(0, shape.length - 1);
                    Tensor src = Tensor.randn(seed, 1f, view.shape());
                    view.copyFrom(src);
                    float[] want = src.toFloatArray();
                    for (int i = 0; i < want.length; i++) want[i] = round(dt, want[i]);
                    assertArrayEquals(want, view.toFloatArray(), "write through a transposed " + dt + " view");
                }
            }
        });
        Tensor ro = new Tensor(new SegmentStorage(Tensor.zeros(4).to(DType.F32, Arena.ofAuto()).segment().asReadOnly(), DType.F32), new int[] {4}, new long[] {1}, 0);
        assertThrows(IllegalStateException.class, () -> ro.copyFrom(Tensor.zeros(4)));
        assertThrows(ShapeException.class, () -> new Tensor(new ArrayStorage(new float[6]), new int[] {2, 3}, new long[] {3, 1}, 1),
                "a view reaching past the storage");
    }

    static float round(DType dt, float v) {
        return switch (dt) {
            case BF16 -> DType.bf16ToFloat(DType.floatToBf16(v));
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            default -> v;
        };
    }

    @Test
    void copyFromRefusesBroadcastDestinationsAndHandlesOverlap() {
        Tensor a = arange(5);
        a.narrow(0, 1, 4).copyFrom(a.narrow(0, 0, 4)); // shift right by one: reads the old values
        assertArrayEquals(new float[] {0, 0, 1, 2, 3}, a.toFloatArray());
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.zeros(1, 3).expand(2, 3).copyFrom(Tensor.zeros(2, 3)));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
        assertThrows(ShapeException.class, () -> Tensor.zeros(2, 3).copyFrom(Tensor.zeros(3, 2)));
        Tensor dst = Tensor.zeros(3, 4);
        dst.t().copyFrom(arange(4, 3));
        assertArrayEquals(arange(4, 3).t().toFloatArray(), dst.toFloatArray());
        assertTrue(Arrays.equals(arange(2, 2).t().toFloatArray(), new float[] {0, 2, 1, 3}));
    }
}
