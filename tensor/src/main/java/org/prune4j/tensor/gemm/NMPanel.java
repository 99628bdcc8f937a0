package org.prune4j.tensor.gemm;

import static org.prune4j.tensor.gemm.Operand.F;
import static org.prune4j.tensor.gemm.Operand.H;
import static org.prune4j.tensor.gemm.Operand.I;
import static org.prune4j.tensor.gemm.Operand.L;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;

/**
 * The decode layout of an {@link NMWeight}, the default decode kernel on AVX2 and AVX-512 alike: rows in panels of L,
 * one row per lane. One vector then holds the s-th kept value of L rows, and one permute of the x window
 * those rows share brings every lane its own input, so a kept value costs a shift, a permute and an FMA per L rows,
 * with no per-row mask decoding and no horizontal sums. Built from the {@link NMWeight} (the type for saving and IO);
 * where the decode kernel reads the panel, a compressed layer keeps only the panel at run time (the prefill GEMM packs
 * its B panels from it too, {@link #decodeRow}), so a weight costs one compressed copy.
 *
 * <p>Layout, for panel p of rows [p·L, p·L + L) (rows past the last are zeros). The full groups [0, G·M) are cut into
 * windows of L inputs (M divides L); window w holds S = (L / M)·kept slots per row: the row's kept values of the groups
 * in it, in input order, so slot t of a row lies in window t / S. With T = G·kept rounded up to a multiple of 8 (the
 * padding slots hold value 0 at position 0):
 * <pre>
 *   vals[(p·T + t)·L + lane]          value of slot t of row p·L + lane      // [panels, T, L], F32 or BF16 bits
 *   pos[(p·T/8 + t/8)·L + lane]        nibble t mod 8: its input in window t/S // [panels, T/8, L]
 *   tail[r·tailLen + i]                input G·M + i of row r (the short last group, stored whole)
 * </pre>
 * Bytes of 2:4 and 4:8 F32: 0.5 + 1/16 of dense (BF16: 0.5 + 1/8), the nibbles costing twice the canonical bitmask.
 */
public final class NMPanel {
    final NM nm;
    final int rows, cols, panels, slots, perWindowShift, full, tailLen;
    /** Slots holding kept values of the full groups (G·kept); slots [used, slots) are padding. */
    final int used;
    final DType storage;
    final float[] f32;
    final short[] half;
    final int[] pos;
    final float[] tail;

    private NMPanel(NMWeight w) {
        int m = w.nm().m(), kept = w.nm().kept(), rv = w.rowValues(), rw = w.rowWords();
        if (!supports(w)) throw new IllegalArgumentException("an N:M panel of " + L + " lanes cannot hold " + w.nm().label() + " " + w.storage());
        nm = w.nm();
        rows = w.rows();
        cols = w.cols();
        storage = w.storage();
        int groups = cols / m;
        full = groups * m;
        tailLen = cols - full;
        perWindowShift = Integer.numberOfTrailingZeros(L / m * kept);
        used = groups * kept;
        slots = (used + 7) & ~7;
        panels = (rows + L - 1) / L;
        long cells = (long) panels * slots * L;
        if (cells > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("N:M panel of " + cells + " values exceeds one Java array");
        f32 = storage == DType.F32 ? new float[(int) cells] : null;
        half = storage == DType.F32 ? null : new short[(int) cells];
        pos = new int[panels * (slots / 8) * L];
        tail = new float[rows * tailLen];
        long[] bits = w.bits();
        for (int r = 0; r < rows; r++) {
            int p = r / L, lane = r % L, wb = r * rw, v = r * rv;
            for (int g = 0; g < groups; g++)
                for (int c = g * m, j = 0; c < g * m + m; c++) {
                    if ((bits[wb + (c >>> 6)] >>> (c & 63) & 1) == 0) continue;
                    int t = g * kept + j++, cell = (p * slots + t) * L + lane;
                    if (f32 != null) f32[cell] = w.f32()[v];
                    else half[cell] = w.half()[v];
                    v++;
                    pos[(p * (slots / 8) + t / 8) * L + lane] |= (c % L) << (4 * (t % 8));
                }
            for (int i = 0; i < tailLen; i++) tail[r * tailLen + i] = w.value(v++);
        }
    }

    /**
     * True when a panel can hold {@code w}: M divides L, S = (L / M)·kept is 2, 4 or 8 (a 32-bit word of nibbles holds
     * whole slot pairs of whole windows: 2:4, 4:8, 1:2 and 3:4 on 8 lanes; 2:4, 4:8 and 8:16 on 16), positions fit a
     * nibble (L <= 16), and the values are F32 or BF16.
     */
    public static boolean supports(NMWeight w) {
        int m = w.nm().m();
        if (L > 16 || L < 2 || L % m != 0 || w.storage() == DType.F16) return false;
        int s = L / m * w.nm().kept();
        return s == 2 || s == 4 || s == 8;
    }

    /** Panels built so far, per weight (keyed by the identity of its mask array; dropped with the weight). */
    private static final Map<long[], NMPanel> BUILT = Collections.synchronizedMap(new WeakHashMap<>());

    /** {@code w}'s panel, built on the first call and kept while {@code w} lives (for kernels handed the NMWeight). */
    static NMPanel cached(NMWeight w) {
        return BUILT.computeIfAbsent(w.bits(), b -> new NMPanel(w));
    }

    /** A new panel of {@code w}, which must be {@link #supports supported}: what a layer keeps instead of {@code w}. */
    public static NMPanel of(NMWeight w) {
        return new NMPanel(w);
    }

    /** The pattern every full group obeys. */
    public NM nm() { return nm; }

    /** Output features. */
    public int rows() { return rows; }

    /** Input features. */
    public int cols() { return cols; }

    /** F32 or BF16: the dtype of the kept values. */
    public DType storage() { return storage; }

    /** Bytes held (and read by a decode): values, nibble positions and dense tails. */
    public long bytes() {
        long cells = f32 != null ? f32.length : half.length;
        return cells * storage.size + 4L * pos.length + 4L * tail.length;
    }

    /**
     * Inputs [c0, c0 + len) of row r into dst[off..], zeros where nothing is stored: what packing a B panel of the
     * prefill GEMM reads. Walks the slots of the windows the range overlaps (slot t of the row sits at input
     * (t / S)·L + its nibble), then the dense tail; padding slots are never read.
     */
    public void decodeRow(int r, int c0, int len, float[] dst, int off) {
        Objects.checkIndex(r, rows);
        Objects.checkFromIndexSize(c0, len, cols);
        Arrays.fill(dst, off, off + len, 0f);
        int c1 = c0 + len, hi = Math.min(c1, full), sh = perWindowShift;
        if (c0 < hi) {
            int p = r / L, lane = r % L;
            int vb = p * slots * L + lane, qb = p * (slots / 8) * L + lane;
            int t1 = Math.min(used, ((hi - 1) / L + 1) << sh);
            for (int t = (c0 / L) << sh; t < t1; t++) {
                int c = (t >>> sh) * L + (pos[qb + (t >>> 3) * L] >>> 4 * (t & 7) & 15);
                if (c < c0 || c >= hi) continue;
                int cell = vb + t * L;
                dst[off + c - c0] = f32 != null ? f32[cell] : DType.bf16ToFloat(half[cell]);
            }
        }
        for (int c = Math.max(c0, full); c < c1; c++) dst[off + c - c0] = tail[r * tailLen + c - full];
    }

    /**
     * Rows [p·L, p·L + L) × inputs [c0, c0 + len) into dst input-major, W[p·L + lane, c] at dst[off + (c - c0)·ld + lane]
     * (zeros where nothing is stored): a whole panel of the prefill GEMM's packed B at once. Unlike {@link #decodeRow},
     * each slot's L values and positions are read contiguously. Lanes past the last row are not written.
     */
    void decodePanel(int p, int c0, int len, float[] dst, int off, int ld) {
        Objects.checkFromIndexSize(c0, len, cols);
        int lanes = Math.min(L, rows - p * L);
        for (int i = 0; i < len; i++) Arrays.fill(dst, off + i * ld, off + i * ld + lanes, 0f);
        int hi = Math.min(c0 + len, full) - c0, sh = perWindowShift;
        if (hi > 0) {
            int t1 = Math.min(used, ((c0 + hi - 1) / L + 1) << sh);
            for (int t = (c0 / L) << sh; t < t1; t++) {
                int base = (t >>> sh) * L - c0, cell = (p * slots + t) * L, q = (p * (slots / 8) + (t >>> 3)) * L, shift = 4 * (t & 7);
                for (int lane = 0; lane < lanes; lane++) {
                    int c = base + (pos[q + lane] >>> shift & 15);
                    if (c < 0 || c >= hi) continue;
                    dst[off + c * ld + lane] = f32 != null ? f32[cell + lane] : DType.bf16ToFloat(half[cell + lane]);
                }
            }
        }
        for (int c = Math.max(c0, full); c < c0 + len; c++)
            for (int lane = 0; lane < lanes; lane++) dst[off + (c - c0) * ld + lane] = tail[(p * L + lane) * tailLen + c - full];
    }

    /** The dense weight [rows, cols] as a fresh F32 heap tensor (what the default {@code Kernels.linearNM} multiplies). */
    public Tensor decompress() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) decodeRow(r, 0, cols, out, r * cols);
        return Tensor.of(out, rows, cols);
    }

    /** The padded copy of x the kernels read: every window any slot names, zeros past the last input. */
    float[] paddedX(float[] x, int xOff) {
        float[] xp = new float[Math.max(cols, (slots >>> perWindowShift) * L)];
        System.arraycopy(x, xOff, xp, 0, cols);
        return xp;
    }

    /** y[yOff + r] += Σ_k W[r, k] xp[k] for the rows of panels [p0, p1). */
    void dot(float[] xp, int p0, int p1, float[] y, int yOff) {
        float[] out = new float[2 * L];
        int p = p0;
        for (; p + 2 <= p1; p += 2) {
            if (f32 != null) twoF32(xp, p, out);
            else twoBf16(xp, p, out);
            store(out, 0, p, xp, y, yOff);
            store(out, L, p + 1, xp, y, yOff);
        }
        if (p < p1) {
            if (f32 != null) oneF32(xp, p, out);
            else oneBf16(xp, p, out);
            store(out, 0, p, xp, y, yOff);
        }
    }

    /** Adds panel p's sums out[o..o+L) and its rows' dense tails to y. */
    private void store(float[] out, int o, int p, float[] xp, float[] y, int yOff) {
        for (int lane = 0, r = p * L; lane < L && r < rows; lane++, r++) {
            float s = out[o + lane];
            for (int i = 0; i < tailLen; i++) s += tail[r * tailLen + i] * xp[full + i];
            y[yOff + r] += s;
        }
    }

    // Two panels per pass share each x window; per panel, even and odd slots go to separate accumulators (four FMA
    // chains in flight). A position vector holds 8 nibbles: slot pair (s, s + 1) reads the low two, then shifts by 8.
    // selectFrom wraps each index to [0, L), so the nibbles above the one in use need no mask.

    private void twoF32(float[] xp, int p, float[] out) {
        int words = slots / 8, sh = perWindowShift;
        int v0 = p * slots * L, v1 = v0 + slots * L, q0 = p * words * L, q1 = q0 + words * L;
        float[] v = f32;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int t = 0; t < slots; t += 8, q0 += L, q1 += L) {
            IntVector i = IntVector.fromArray(I, pos, q0), k = IntVector.fromArray(I, pos, q1);
            for (int s = 0; s < 8; s += 2, v0 += 2 * L, v1 += 2 * L) {
                IntVector xi = FloatVector.fromArray(F, xp, ((t + s) >>> sh) * L).reinterpretAsInts();
                IntVector i1 = i.lanewise(VectorOperators.LSHR, 4), k1 = k.lanewise(VectorOperators.LSHR, 4);
                a0 = FloatVector.fromArray(F, v, v0).fma(i.selectFrom(xi).reinterpretAsFloats(), a0);
                a1 = FloatVector.fromArray(F, v, v0 + L).fma(i1.selectFrom(xi).reinterpretAsFloats(), a1);
                c0 = FloatVector.fromArray(F, v, v1).fma(k.selectFrom(xi).reinterpretAsFloats(), c0);
                c1 = FloatVector.fromArray(F, v, v1 + L).fma(k1.selectFrom(xi).reinterpretAsFloats(), c1);
                i = i.lanewise(VectorOperators.LSHR, 8);
                k = k.lanewise(VectorOperators.LSHR, 8);
            }
        }
        a0.add(a1).intoArray(out, 0);
        c0.add(c1).intoArray(out, L);
    }

    private void oneF32(float[] xp, int p, float[] out) {
        int words = slots / 8, sh = perWindowShift;
        int v0 = p * slots * L, q0 = p * words * L;
        float[] v = f32;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int t = 0; t < slots; t += 8, q0 += L) {
            IntVector i = IntVector.fromArray(I, pos, q0);
            for (int s = 0; s < 8; s += 2, v0 += 2 * L) {
                IntVector xi = FloatVector.fromArray(F, xp, ((t + s) >>> sh) * L).reinterpretAsInts();
                a0 = FloatVector.fromArray(F, v, v0).fma(i.selectFrom(xi).reinterpretAsFloats(), a0);
                a1 = FloatVector.fromArray(F, v, v0 + L).fma(i.lanewise(VectorOperators.LSHR, 4).selectFrom(xi).reinterpretAsFloats(), a1);
                i = i.lanewise(VectorOperators.LSHR, 8);
            }
        }
        a0.add(a1).intoArray(out, 0);
    }

    private void twoBf16(float[] xp, int p, float[] out) {
        int words = slots / 8, sh = perWindowShift;
        int v0 = p * slots * L, v1 = v0 + slots * L, q0 = p * words * L, q1 = q0 + words * L;
        short[] v = half;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, c0 = a0, c1 = a0;
        for (int t = 0; t < slots; t += 8, q0 += L, q1 += L) {
            IntVector i = IntVector.fromArray(I, pos, q0), k = IntVector.fromArray(I, pos, q1);
            for (int s = 0; s < 8; s += 2, v0 += 2 * L, v1 += 2 * L) {
                IntVector xi = FloatVector.fromArray(F, xp, ((t + s) >>> sh) * L).reinterpretAsInts();
                IntVector i1 = i.lanewise(VectorOperators.LSHR, 4), k1 = k.lanewise(VectorOperators.LSHR, 4);
                a0 = Operand.bf16(ShortVector.fromArray(H, v, v0)).fma(i.selectFrom(xi).reinterpretAsFloats(), a0);
                a1 = Operand.bf16(ShortVector.fromArray(H, v, v0 + L)).fma(i1.selectFrom(xi).reinterpretAsFloats(), a1);
                c0 = Operand.bf16(ShortVector.fromArray(H, v, v1)).fma(k.selectFrom(xi).reinterpretAsFloats(), c0);
                c1 = Operand.bf16(ShortVector.fromArray(H, v, v1 + L)).fma(k1.selectFrom(xi).reinterpretAsFloats(), c1);
                i = i.lanewise(VectorOperators.LSHR, 8);
                k = k.lanewise(VectorOperators.LSHR, 8);
            }
        }
        a0.add(a1).intoArray(out, 0);
        c0.add(c1).intoArray(out, L);
    }

    private void oneBf16(float[] xp, int p, float[] out) {
        int words = slots / 8, sh = perWindowShift;
        int v0 = p * slots * L, q0 = p * words * L;
        short[] v = half;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int t = 0; t < slots; t += 8, q0 += L) {
            IntVector i = IntVector.fromArray(I, pos, q0);
            for (int s = 0; s < 8; s += 2, v0 += 2 * L) {
                IntVector xi = FloatVector.fromArray(F, xp, ((t + s) >>> sh) * L).reinterpretAsInts();
                a0 = Operand.bf16(ShortVector.fromArray(H, v, v0)).fma(i.selectFrom(xi).reinterpretAsFloats(), a0);
                a1 = Operand.bf16(ShortVector.fromArray(H, v, v0 + L)).fma(i.lanewise(VectorOperators.LSHR, 4).selectFrom(xi).reinterpretAsFloats(), a1);
                i = i.lanewise(VectorOperators.LSHR, 8);
            }
        }
        a0.add(a1).intoArray(out, 0);
    }
}
