package org.prune4j.tensor.gemm;

import static org.prune4j.tensor.gemm.Operand.F;
import static org.prune4j.tensor.gemm.Operand.H;
import static org.prune4j.tensor.gemm.Operand.L;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Lanes;
import org.prune4j.tensor.NMWeight;

/**
 * y = W x with W N:M-compressed ({@link NMWeight}), the decode path of a pruned model. Two kernels, chosen per CPU:
 * <ul>
 *   <li><b>expand</b> (vectors of 16 floats, AVX-512, where {@code expand} is one instruction): per row and per vector of
 *   L inputs, the L mask bits become a vector mask, one vector load takes the next kept values (as many as bits are
 *   set; the rest of the load is the next chunk's, unused), {@code expand} puts them at their inputs (zeros elsewhere),
 *   and one FMA with x accumulates; x is loaded once per four rows. The same expand decodes rows for the prefill GEMM's
 *   packed panels ({@link #decode}).
 *   <li><b>panel</b>: {@link NMPanel}'s row-interleaved layout, one row per lane, a permute of x per kept value and L
 *   rows. The default wherever it holds the pattern: on AVX2 {@code expand} is emulated (measured 0.53× dense there),
 *   and on AVX-512 (Zen 4) the panel measured 2.2× dense at 2:4 F32 4096², the expand 1.5×, in the same hour.
 * </ul>
 * {@code -Dprune4j.nm.decode=expand|panel} forces one (panel only where {@link NMPanel#supports} the pattern).
 */
public final class NMGemv {
    private NMGemv() {}

    /** Mask bits of one vector of inputs. */
    private static final long LANE_BITS = L == 64 ? -1L : (1L << L) - 1;

    static {
        if (64 % L != 0) throw new IllegalStateException("N:M kernels need the vector length " + L + " to divide 64");
    }

    /** The decode kernel forced by {@code -Dprune4j.nm.decode}, or "auto" (read per call, so a test can switch it). */
    private static String forced() {
        return System.getProperty("prune4j.nm.decode", "auto");
    }

    /**
     * True when {@code w} decodes through {@link NMPanel} on this CPU (see the class comment): then a layer keeps the
     * panel as its one compressed copy, and the NMWeight otherwise.
     */
    public static boolean usesPanel(NMWeight w) {
        if (!NMPanel.supports(w)) return false;
        return switch (forced()) {
            case "panel" -> true;
            case "expand" -> false;
            default -> true;
        };
    }

    /**
     * True when decoding {@code w} compressed is expected to beat the dense GEMV on this CPU: the expand kernel with
     * one-instruction expands (16 lanes) or the panel kernel, reading at most {@code maxBytes} of the dense bytes.
     * On narrower vectors a pattern the panel cannot hold runs the emulated expand, measured slower than dense there.
     */
    public static boolean beatsDense(NMWeight w, double maxBytes) {
        if (!usesPanel(w) && !(L >= 16 && w.storage() != DType.F16)) return false;
        return decodeBytes(w) <= maxBytes * ((double) w.rows() * w.cols() * w.storage().size);
    }

    /** Bytes the decode kernel reads for {@code w} on this CPU (values plus positions or mask bits). */
    public static long decodeBytes(NMWeight w) {
        if (!usesPanel(w)) return w.bytes();
        int kept = w.nm().kept(), slots = (w.cols() / w.nm().m() * kept + 7) & ~7;
        long cells = (long) (w.rows() + L - 1) / L * L * slots;
        return cells * w.storage().size + cells / 2 + (long) w.rows() * w.nm().tail(w.cols()) * 4;
    }

    /** y[yOff + i] += Σ_k W[i, k] x[xOff + k] for rows [0, w.rows); rows split over {@code threads}. */
    static void rowsDot(int threads, float[] x, int xOff, NMWeight w, float[] y, int yOff) {
        rowsDot(threads, x, xOff, w, y, yOff, usesPanel(w));
    }

    /** The same with the kernel chosen by the caller ({@code panel} only where {@link NMPanel#supports} w). */
    static void rowsDot(int threads, float[] x, int xOff, NMWeight w, float[] y, int yOff, boolean panel) {
        int n = w.rows();
        if (n == 0 || w.cols() == 0) return;
        if (panel) {
            rowsDot(threads, x, xOff, NMPanel.cached(w), y, yOff);
            return;
        }
        int t = (int) Math.max(1, Math.min(threads, w.bytes() / Gemv.MIN_BYTES_PER_THREAD));
        int rowsPerItem = Gemv.itemSize(n, t, 4);
        Work.forEach(t, Gemv.ceil(n, rowsPerItem), item -> {
            int r0 = item * rowsPerItem, r1 = Math.min(n, r0 + rowsPerItem);
            switch (w.storage()) {
                case F32 -> dotF32(x, xOff, w, r0, r1, y, yOff);
                case BF16 -> dotBf16(x, xOff, w, r0, r1, y, yOff);
                default -> dotDecoded(x, xOff, w, r0, r1, y, yOff);
            }
        });
    }

    /** The same for a weight held as its panel: panels split over {@code threads}, two per pass. */
    static void rowsDot(int threads, float[] x, int xOff, NMPanel p, float[] y, int yOff) {
        if (p.rows == 0 || p.cols == 0) return;
        int t = (int) Math.max(1, Math.min(threads, p.bytes() / Gemv.MIN_BYTES_PER_THREAD));
        float[] xp = p.paddedX(x, xOff);
        int perItem = Gemv.itemSize(p.panels, t, 2);
        Work.forEach(t, Gemv.ceil(p.panels, perItem), item -> p.dot(xp, item * perItem, Math.min(p.panels, (item + 1) * perItem), y, yOff));
    }

    /** F32 values, four rows per pass sharing each x vector. */
    private static void dotF32(float[] x, int xOff, NMWeight w, int r0, int r1, float[] y, int yOff) {
        int k = w.cols(), bound = k - k % L, rv = w.rowValues(), rw = w.rowWords();
        float[] v = w.f32();
        long[] bits = w.bits();
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int o0 = r * rv, o1 = o0 + rv, o2 = o1 + rv, o3 = o2 + rv;
            int w0 = r * rw, w1 = w0 + rw, w2 = w1 + rw, w3 = w2 + rw;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                int wi = i >>> 6, sh = i & 63;
                long m0 = bits[w0 + wi] >>> sh & LANE_BITS, m1 = bits[w1 + wi] >>> sh & LANE_BITS;
                long m2 = bits[w2 + wi] >>> sh & LANE_BITS, m3 = bits[w3 + wi] >>> sh & LANE_BITS;
                s0 = FloatVector.fromArray(F, v, o0).expand(VectorMask.fromLong(F, m0)).fma(xv, s0);
                s1 = FloatVector.fromArray(F, v, o1).expand(VectorMask.fromLong(F, m1)).fma(xv, s1);
                s2 = FloatVector.fromArray(F, v, o2).expand(VectorMask.fromLong(F, m2)).fma(xv, s2);
                s3 = FloatVector.fromArray(F, v, o3).expand(VectorMask.fromLong(F, m3)).fma(xv, s3);
                o0 += Long.bitCount(m0);
                o1 += Long.bitCount(m1);
                o2 += Long.bitCount(m2);
                o3 += Long.bitCount(m3);
            }
            y[yOff + r] += Lanes.sum(s0) + tail(x, xOff, w, r, bound, o0);
            y[yOff + r + 1] += Lanes.sum(s1) + tail(x, xOff, w, r + 1, bound, o1);
            y[yOff + r + 2] += Lanes.sum(s2) + tail(x, xOff, w, r + 2, bound, o2);
            y[yOff + r + 3] += Lanes.sum(s3) + tail(x, xOff, w, r + 3, bound, o3);
        }
        for (; r < r1; r++) {
            int o = r * rv, wb = r * rw;
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L) {
                long mk = bits[wb + (i >>> 6)] >>> (i & 63) & LANE_BITS;
                s = FloatVector.fromArray(F, v, o).expand(VectorMask.fromLong(F, mk)).fma(FloatVector.fromArray(F, x, xOff + i), s);
                o += Long.bitCount(mk);
            }
            y[yOff + r] += Lanes.sum(s) + tail(x, xOff, w, r, bound, o);
        }
    }

    /** BF16 values: each load widens L halves to floats in registers (bits << 16), then expands like F32. */
    private static void dotBf16(float[] x, int xOff, NMWeight w, int r0, int r1, float[] y, int yOff) {
        int k = w.cols(), bound = k - k % L, rv = w.rowValues(), rw = w.rowWords();
        short[] v = w.half();
        long[] bits = w.bits();
        int r = r0;
        for (; r + 4 <= r1; r += 4) {
            int o0 = r * rv, o1 = o0 + rv, o2 = o1 + rv, o3 = o2 + rv;
            int w0 = r * rw, w1 = w0 + rw, w2 = w1 + rw, w3 = w2 + rw;
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int i = 0; i < bound; i += L) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + i);
                int wi = i >>> 6, sh = i & 63;
                long m0 = bits[w0 + wi] >>> sh & LANE_BITS, m1 = bits[w1 + wi] >>> sh & LANE_BITS;
                long m2 = bits[w2 + wi] >>> sh & LANE_BITS, m3 = bits[w3 + wi] >>> sh & LANE_BITS;
                s0 = Operand.bf16(ShortVector.fromArray(H, v, o0)).expand(VectorMask.fromLong(F, m0)).fma(xv, s0);
                s1 = Operand.bf16(ShortVector.fromArray(H, v, o1)).expand(VectorMask.fromLong(F, m1)).fma(xv, s1);
                s2 = Operand.bf16(ShortVector.fromArray(H, v, o2)).expand(VectorMask.fromLong(F, m2)).fma(xv, s2);
                s3 = Operand.bf16(ShortVector.fromArray(H, v, o3)).expand(VectorMask.fromLong(F, m3)).fma(xv, s3);
                o0 += Long.bitCount(m0);
                o1 += Long.bitCount(m1);
                o2 += Long.bitCount(m2);
                o3 += Long.bitCount(m3);
            }
            y[yOff + r] += Lanes.sum(s0) + tail(x, xOff, w, r, bound, o0);
            y[yOff + r + 1] += Lanes.sum(s1) + tail(x, xOff, w, r + 1, bound, o1);
            y[yOff + r + 2] += Lanes.sum(s2) + tail(x, xOff, w, r + 2, bound, o2);
            y[yOff + r + 3] += Lanes.sum(s3) + tail(x, xOff, w, r + 3, bound, o3);
        }
        for (; r < r1; r++) {
            int o = r * rv, wb = r * rw;
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L) {
                long mk = bits[wb + (i >>> 6)] >>> (i & 63) & LANE_BITS;
                s = Operand.bf16(ShortVector.fromArray(H, v, o)).expand(VectorMask.fromLong(F, mk)).fma(FloatVector.fromArray(F, x, xOff + i), s);
                o += Long.bitCount(mk);
            }
            y[yOff + r] += Lanes.sum(s) + tail(x, xOff, w, r, bound, o);
        }
    }

    /** F16 values (no vector half-float widening to use): each row is decoded into an L1 scratch row, then dotted. */
    private static void dotDecoded(float[] x, int xOff, NMWeight w, int r0, int r1, float[] y, int yOff) {
        int k = w.cols(), bound = k - k % L;
        float[] row = new float[k];
        for (int r = r0; r < r1; r++) {
            w.decodeRow(r, 0, k, row, 0);
            FloatVector s = FloatVector.zero(F);
            for (int i = 0; i < bound; i += L) s = FloatVector.fromArray(F, row, i).fma(FloatVector.fromArray(F, x, xOff + i), s);
            float t = Lanes.sum(s);
            for (int i = bound; i < k; i++) t += row[i] * x[xOff + i];
            y[yOff + r] += t;
        }
    }

    /** Σ over inputs [from, cols) of row r whose bit is set, the first stored at value index {@code o}. */
    private static float tail(float[] x, int xOff, NMWeight w, int r, int from, int o) {
        float t = 0;
        long wb = (long) r * w.rowWords();
        long[] bits = w.bits();
        for (int c = from; c < w.cols(); c++)
            if ((bits[(int) (wb + (c >>> 6))] >>> (c & 63) & 1) != 0) t += w.value(o++) * x[xOff + c];
        return t;
    }

    /**
     * Inputs [c0, c0 + len) of row r into dst[off..], zeros where nothing is stored: vector expands from an input that
     * is a multiple of L, the scalar {@link NMWeight#decodeRow} elsewhere. What packing a B panel of a compressed
     * weight calls.
     */
    static void decode(NMWeight w, int r, int c0, int len, float[] dst, int off) {
        if (c0 % L != 0 || w.storage() == DType.F16) {
            w.decodeRow(r, c0, len, dst, off);
            return;
        }
        int o = w.valueIndex(r, c0), wb = r * w.rowWords(), bound = len - len % L;
        long[] bits = w.bits();
        int i = 0;
        if (w.storage() == DType.F32) {
            float[] v = w.f32();
            for (; i < bound; i += L) {
                int c = c0 + i;
                long mk = bits[wb + (c >>> 6)] >>> (c & 63) & LANE_BITS;
                FloatVector.fromArray(F, v, o).expand(VectorMask.fromLong(F, mk)).intoArray(dst, off + i);
                o += Long.bitCount(mk);
            }
        } else {
            short[] v = w.half();
            for (; i < bound; i += L) {
                int c = c0 + i;
                long mk = bits[wb + (c >>> 6)] >>> (c & 63) & LANE_BITS;
                Operand.bf16(ShortVector.fromArray(H, v, o)).expand(VectorMask.fromLong(F, mk)).intoArray(dst, off + i);
                o += Long.bitCount(mk);
            }
        }
        if (i < len) w.decodeRow(r, c0 + i, len - i, dst, off + i);
    }
}
