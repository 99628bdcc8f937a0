package org.prune4j.tensor.gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.prune4j.tensor.ArrayStorage;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.SegmentStorage;
import org.prune4j.tensor.Storage;

/**
 * One matrix operand of a product, as the kernels read it: element (r, c) sits at storage index
 * {@code offset + r·rs + c·cs} of a heap float array or a little-endian memory segment (F32, BF16, F16, or any other
 * dtype through {@link DType#read}). Strides may be anything a {@link org.prune4j.tensor.Tensor} view produces
 * (transposed, sliced, broadcast with stride 0). Packing and GEMV read runs of it into floats through {@link #read}.
 */
final class Operand {
    static final int HEAP = 0, F32 = 1, BF16 = 2, F16 = 3, OTHER = 4, NM = 5;

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Shorts with as many lanes as F: one load of BF16/F16 widens to one float vector. */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);

    final int rows, cols;
    final long offset, rs, cs;
    final int kind;
    final float[] heap;
    final MemorySegment seg;
    final Storage storage;
    /** The compressed weight W when kind is {@link #NM} (one of the two forms, the other null): B = Wᵀ [in, out]. */
    final NMWeight nm;
    final NMPanel panel;

    Operand(Storage storage, long offset, long rs, long cs, int rows, int cols) {
        this.storage = storage;
        this.offset = offset;
        this.rs = rs;
        this.cs = cs;
        this.rows = rows;
        this.cols = cols;
        this.nm = null;
        this.panel = null;
        if (storage instanceof ArrayStorage(float[] data)) {
            kind = HEAP;
            heap = data;
            seg = null;
        } else {
            SegmentStorage s = (SegmentStorage) storage;
            heap = null;
            seg = s.segment();
            kind = switch (s.dtype()) {
                case F32 -> F32;
                case BF16 -> BF16;
                case F16 -> F16;
                default -> OTHER;
            };
        }
    }

    /**
     * B = Wᵀ [w.cols, w.rows] for an N:M-compressed W: column j of B is row j of W, decoded run by run (vector
     * expands) while packing, so the GEMM reads the compressed bytes once per block and no dense copy exists.
     */
    Operand(NMWeight w) {
        this(w, null, w.rows(), w.cols());
    }

    /** The same for a W held as its decode layout: columns of B decoded from the panel ({@link NMPanel#decodeRow}). */
    Operand(NMPanel p) {
        this(null, p, p.rows, p.cols);
    }

    private Operand(NMWeight w, NMPanel p, int outputs, int inputs) {
        this.storage = null;
        this.offset = 0;
        this.rs = 1;
        this.cs = inputs;
        this.rows = inputs;
        this.cols = outputs;
        this.kind = NM;
        this.heap = null;
        this.seg = null;
        this.nm = w;
        this.panel = p;
    }

    /** The same elements seen as the transpose (rows and columns swapped, no copy). */
    Operand transposed() {
        if (kind == NM) throw new UnsupportedOperationException("a compressed N:M operand has one orientation");
        return new Operand(storage, offset, cs, rs, cols, rows);
    }

    /** Storage index of element (r, c). */
    long index(int r, int c) {
        return offset + r * rs + c * cs;
    }

    /** Element (r, c) as a float. */
    float get(int r, int c) {
        if (kind == NM) {
            float[] one = new float[1];
            readCol(c, r, 1, one, 0);
            return one[0];
        }
        long i = index(r, c);
        return switch (kind) {
            case HEAP -> heap[(int) i];
            case F32 -> seg.get(F32_LE, i * 4);
            case BF16 -> DType.bf16ToFloat(seg.get(I16_LE, i * 2));
            case F16 -> Float.float16ToFloat(seg.get(I16_LE, i * 2));
            default -> storage.getFloat(i);
        };
    }

    /** Reads {@code len} elements of row r from column c0 into dst[off..]. */
    void readRow(int r, int c0, int len, float[] dst, int off) {
        if (kind == NM) {
            for (int t = 0; t < len; t++) dst[off + t] = get(r, c0 + t);
            return;
        }
        read(index(r, c0), cs, len, dst, off);
    }

    /** Reads {@code len} elements of column c from row r0 into dst[off..]. */
    void readCol(int c, int r0, int len, float[] dst, int off) {
        if (kind == NM) {
            if (panel != null) panel.decodeRow(c, r0, len, dst, off);
            else NMGemv.decode(nm, c, r0, len, dst, off);
            return;
        }
        read(index(r0, c), rs, len, dst, off);
    }

    /** Reads storage elements idx, idx+stride, ... ({@code len} of them) as floats into dst[off..]; vector-widened when stride is 1. */
    void read(long idx, long stride, int len, float[] dst, int off) {
        if (len <= 0) return;
        if (stride == 1) {
            switch (kind) {
                case HEAP -> System.arraycopy(heap, (int) idx, dst, off, len);
                case F32 -> MemorySegment.copy(seg, F32_LE, idx * 4, dst, off, len);
                case BF16 -> widenBf16(seg, idx * 2, len, dst, off);
                case F16 -> widenF16(seg, idx * 2, len, dst, off);
                default -> { for (int t = 0; t < len; t++) dst[off + t] = storage.getFloat(idx + t); }
            }
            return;
        }
        switch (kind) {
            case HEAP -> { for (int t = 0; t < len; t++) dst[off + t] = heap[(int) (idx + t * stride)]; }
            case F32 -> { for (int t = 0; t < len; t++) dst[off + t] = seg.get(F32_LE, (idx + t * stride) * 4); }
            case BF16 -> { for (int t = 0; t < len; t++) dst[off + t] = DType.bf16ToFloat(seg.get(I16_LE, (idx + t * stride) * 2)); }
            case F16 -> { for (int t = 0; t < len; t++) dst[off + t] = Float.float16ToFloat(seg.get(I16_LE, (idx + t * stride) * 2)); }
            default -> { for (int t = 0; t < len; t++) dst[off + t] = storage.getFloat(idx + t * stride); }
        }
    }

    // ------------------------------------------------------------------ half-precision widening

    /** len BF16 values from byte offset {@code b} to floats: a bf16 is the high half of a float, so widen and shift. */
    static void widenBf16(MemorySegment seg, long b, int len, float[] dst, int off) {
        int t = 0;
        for (int bound = len - L; t <= bound; t += L, b += 2L * L)
            bf16(ShortVector.fromMemorySegment(H, seg, b, LE)).intoArray(dst, off + t);
        for (; t < len; t++, b += 2) dst[off + t] = DType.bf16ToFloat(seg.get(I16_LE, b));
    }

    /**
     * len F16 values from byte offset {@code b} to floats (exact, including subnormals, infinities and NaN). A plain
     * loop on purpose: C2 turns it into vcvtph2ps on whole vectors (measured 44 G values/s here, 3x a Vector API
     * bit-manipulation version, which has no half-float conversion to use).
     */
    static void widenF16(MemorySegment seg, long b, int len, float[] dst, int off) {
        long e = b >> 1;
        for (int t = 0; t < len; t++) dst[off + t] = Float.float16ToFloat(seg.getAtIndex(I16_LE, e + t));
    }

    /** L bfloat16 lanes to floats: bits << 16. */
    static FloatVector bf16(ShortVector h) {
        return ((IntVector) h.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

}
