package org.prune4j.tensor;

import java.util.Arrays;

/**
 * A linear weight W [rows = out, cols = in] stored N:M-compressed, so that decoding reads only what is kept: per row,
 * the kept values in input order (F32, BF16 or F16) and a bitmask of which inputs they sit at (1 bit per input).
 *
 * <p>Every full group of M inputs holds exactly M - N stored values (a group with more zeros stores some of them), so
 * the values of group g of a row start at g·(M - N), and a short last group (M not dividing the width) is stored whole.
 * The positions are a bitmask rather than log2(M)-bit indices: for 2:4 both take 4 bits per group, for 4:8 the mask
 * takes 8 bits where indices take 12, and a mask decodes with one vector expand (see {@code gemm.NMGemv}). Bytes of
 * 2:4: F32 0.5 + 1/32 of dense, BF16 0.5 + 1/16. The compressed-tensors sparse-24 bitmask layout is the same idea.
 *
 * @param nm        the pattern every full group obeys
 * @param rows      output features
 * @param cols      input features
 * @param storage   F32, BF16 or F16: the dtype of the kept values
 * @param f32       kept values when F32 (else null): row r's at [r·rowValues, (r+1)·rowValues), then {@link #PAD} zeros
 * @param half      kept values as BF16/F16 bits when half precision (else null), laid out as {@code f32}
 * @param bits      bit (c mod 64) of word r·rowWords + c/64 set when input c of row r has a stored value
 */
public record NMWeight(NM nm, int rows, int cols, DType storage, float[] f32, short[] half, long[] bits) {
    /** Zero values past the last row: a vector load of one full vector from any value offset stays in bounds. */
    public static final int PAD = 64;

    public NMWeight {
        if (storage != DType.F32 && storage != DType.BF16 && storage != DType.F16)
            throw new IllegalArgumentException("N:M values are stored as F32, BF16 or F16, not " + storage);
        if ((storage == DType.F32) != (f32 != null) || (storage == DType.F32) == (half != null))
            throw new IllegalArgumentException("N:M weight: values array does not match storage " + storage);
        long want = (long) rows * rowValues(nm, cols) + PAD;
        long have = f32 != null ? f32.length : half.length;
        if (have != want) throw new IllegalArgumentException("N:M weight [" + rows + ", " + cols + "] needs " + want + " values, got " + have);
        if (bits.length != (long) rows * rowWords(cols)) throw new IllegalArgumentException("N:M weight [" + rows + ", " + cols + "] needs " + (long) rows * rowWords(cols) + " mask words, got " + bits.length);
    }

    /** Stored values per row: M - N per full group, plus the short last group whole. */
    public static int rowValues(NM nm, int cols) {
        return cols / nm.m() * nm.kept() + nm.tail(cols);
    }

    /** 64-bit mask words per row. */
    public static int rowWords(int cols) {
        return (cols + 63) >>> 6;
    }

    public int rowValues() { return rowValues(nm, cols); }

    public int rowWords() { return rowWords(cols); }

    /** Bytes the kernels read per product: values plus mask (what the compression saves is what decode gains). */
    public long bytes() {
        return (long) rows * rowValues() * storage.size + (long) rows * rowWords() * 8;
    }

    /** The shape [rows, cols] of the dense weight. */
    public int[] shape() { return new int[] {rows, cols}; }

    /**
     * Compresses {@code w} [out, in] (any layout or dtype) whose every full group of M inputs holds at most M - N
     * non-zeros; values are stored as {@code storage} (rounded to it when narrower than the source). A group that breaks
     * the pattern is an IllegalArgumentException naming {@code what}, the row and the inputs.
     */
    public static NMWeight compress(Tensor w, NM nm, DType storage, String what) {
        if (w.rank() != 2) throw new ShapeException(what + ": an N:M weight is a matrix [out, in], got " + Shapes.str(w.shape()));
        int rows = w.size(0), cols = w.size(1), m = nm.m(), kept = nm.kept(), full = cols - nm.tail(cols);
        int rv = rowValues(nm, cols), rw = rowWords(cols);
        long total = (long) rows * rv + PAD;
        if (total > Integer.MAX_VALUE - 8) throw new ShapeException(what + ": " + total + " kept values exceed one Java array");
        float[] vals = new float[(int) total];
        long[] bits = new long[Math.multiplyExact(rows, rw)];
        for (int r = 0; r < rows; r++) {
            float[] row = w.select(0, r).toFloatArray();
            int o = r * rv;
            long wb = (long) r * rw;
            for (int g = 0; g < full; g += m) {
                int nz = 0;
                for (int c = g; c < g + m; c++) if (row[c] != 0f) nz++;
                if (nz > kept)
                    throw new IllegalArgumentException(what + ": row " + r + ", inputs " + g + ".." + (g + m - 1) + " hold " + nz
                            + " non-zeros; N:M " + nm.label() + " keeps at most " + kept + " of every " + m);
                int zerosToStore = kept - nz; // the first zeros of the group fill the slots the pattern leaves
                for (int c = g; c < g + m; c++) {
                    boolean store = row[c] != 0f;
                    if (!store && zerosToStore > 0) {
                        store = true;
                        zerosToStore--;
                    }
                    if (!store) continue;
                    bits[(int) (wb + (c >>> 6))] |= 1L << (c & 63);
                    vals[o++] = row[c];
                }
            }
            for (int c = full; c < cols; c++) {
                bits[(int) (wb + (c >>> 6))] |= 1L << (c & 63);
                vals[o++] = row[c];
            }
        }
        if (storage == DType.F32) return new NMWeight(nm, rows, cols, storage, vals, null, bits);
        short[] half = new short[vals.length];
        for (int i = 0; i < vals.length; i++)
            half[i] = storage == DType.BF16 ? DType.floatToBf16(vals[i]) : Float.floatToFloat16(vals[i]);
        return new NMWeight(nm, rows, cols, storage, null, half, bits);
    }

    /**
     * The N:M pattern among M in {@code ms} (each N as large as {@code w} allows) that stores {@code w} in the fewest
     * bytes, or null when no M gives a pattern (every group of every candidate M has no zero). Short last groups are
     * stored dense, so M need not divide the width.
     */
    public static NM bestPattern(Tensor w, DType storage, int... ms) {
        if (w.rank() != 2) return null;
        int rows = w.size(0), cols = w.size(1);
        int[] maxNz = new int[ms.length];
        for (int r = 0; r < rows; r++) {
            float[] row = w.select(0, r).toFloatArray();
            for (int i = 0; i < ms.length; i++) {
                int m = ms[i];
                for (int g = 0; g + m <= cols; g += m) {
                    int nz = 0;
                    for (int c = g; c < g + m; c++) if (row[c] != 0f) nz++;
                    maxNz[i] = Math.max(maxNz[i], nz);
                }
            }
        }
        NM best = null;
        long bestBytes = Long.MAX_VALUE;
        for (int i = 0; i < ms.length; i++) {
            int m = ms[i];
            if (m > cols || maxNz[i] >= m) continue;
            NM nm = new NM(m - Math.max(maxNz[i], 1), m); // an all-zero weight still keeps one slot per group
            long bytes = (long) rows * rowValues(nm, cols) * storage.size + (long) rows * rowWords(cols) * 8;
            if (bytes < bestBytes) {
                best = nm;
                bestBytes = bytes;
            }
        }
        return best;
    }

    /** Kept value i (global index into the values) as a float. */
    public float value(int i) {
        return switch (storage) {
            case F32 -> f32[i];
            case BF16 -> DType.bf16ToFloat(half[i]);
            default -> Float.float16ToFloat(half[i]);
        };
    }

    /** Index of the first stored value of row r at or after input c0 (c0 in [0, cols]). */
    public int valueIndex(int r, int c0) {
        int m = nm.m(), g = Math.min(c0, cols - nm.tail(cols)) / m;
        int idx = r * rowValues() + g * nm.kept();
        long wb = (long) r * rowWords();
        for (int c = g * m; c < c0; c++) if ((bits[(int) (wb + (c >>> 6))] >>> (c & 63) & 1) != 0) idx++;
        return idx;
    }

    /** Decodes inputs [c0, c0 + len) of row r into dst[off..] (zeros where nothing is stored). */
    public void decodeRow(int r, int c0, int len, float[] dst, int off) {
        Arrays.fill(dst, off, off + len, 0f);
        int idx = valueIndex(r, c0);
        long wb = (long) r * rowWords();
        for (int c = c0; c < c0 + len; c++)
            if ((bits[(int) (wb + (c >>> 6))] >>> (c & 63) & 1) != 0) dst[off + c - c0] = value(idx++);
    }

    /** The dense weight [rows, cols] as a fresh F32 heap tensor (what the default {@code Kernels.linearNM} multiplies). */
    public Tensor decompress() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) decodeRow(r, 0, cols, out, r * cols);
        return Tensor.of(out, rows, cols);
    }
}
