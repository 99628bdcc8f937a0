package org.prune4j.io.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * The compressed-tensors {@code sparse-24-bitmask} layout (llm-compressor and vLLM's 2:4 checkpoints), as its
 * {@code Sparse24BitMaskCompressor} and {@code pack_bitmasks} define it: a 2:4 weight {@code X.weight} [R, C] is stored as
 * {@code X.shape} (I64 [2, 1]: R, C), {@code X.compressed} ([R, C/2], the weight's dtype: the 2 kept values of every
 * 4 inputs, in input order) and {@code X.bitmask} (U8 [R, ceil(C/8)]: bit i of byte j of a row is input 8j + i,
 * numpy's packbits with bitorder "little"). config.json says so under
 * {@code quantization_config.sparsity_config} with {@code "format": "sparse-24-bitmask"}.
 */
public final class Sparse24Bitmask {
    private Sparse24Bitmask() {}

    public static final String FORMAT = "sparse-24-bitmask";
    /** The compressed-tensors release whose layout this follows (written as quantization_config.version). */
    public static final String VERSION = "0.12.2";

    /** {@code X.weight} -> {@code X}. */
    static String prefix(String weightName) {
        if (!weightName.endsWith(".weight")) throw new IllegalArgumentException(weightName + ": only .weight tensors are stored sparse-24-bitmask");
        return weightName.substring(0, weightName.length() - ".weight".length());
    }

    /** The three names that replace {@code X.weight}, in the compressor's order. */
    public static List<String> names(String weightName) {
        String p = prefix(weightName);
        return List.of(p + ".shape", p + ".compressed", p + ".bitmask");
    }

    /**
     * config.json's {@code quantization_config} for a sparsity-only checkpoint, as ModelCompressor.update_config writes
     * it: version, quant_method, sparsity_config (the Sparse24BitMaskConfig fields; global_sparsity in percent, as
     * llm-compressor reports it) and an empty transform_config. Targets are the Linear modules, the output head ignored.
     */
    public static Map<String, Object> quantizationConfig(double globalSparsityPercent) {
        Map<String, Object> sparsity = new LinkedHashMap<>();
        sparsity.put("format", FORMAT);
        sparsity.put("global_sparsity", globalSparsityPercent);
        sparsity.put("ignore", List.of("lm_head"));
        sparsity.put("registry_requires_subclass", false);
        sparsity.put("sparsity_structure", "2:4");
        sparsity.put("targets", List.of("Linear"));
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("quant_method", "compressed-tensors");
        q.put("sparsity_config", sparsity);
        q.put("transform_config", new LinkedHashMap<>());
        q.put("version", VERSION);
        return q;
    }

    /** True when a raw config.json declares this format. */
    @SuppressWarnings("unchecked")
    public static boolean declaredIn(Map<String, Object> rawConfig) {
        if (!(rawConfig.get("quantization_config") instanceof Map<?, ?> q)) return false;
        return q.get("sparsity_config") instanceof Map<?, ?> s && FORMAT.equals(s.get("format"));
    }

    /** Declares the three entries of a 2:4 weight [rows, cols] whose values are stored as {@code dtype}. */
    public static void declare(SafeTensorsWriter w, String weightName, DType dtype, int rows, int cols) {
        if (cols % 4 != 0) throw new IllegalArgumentException(weightName + ": sparse-24-bitmask needs the input width to be a multiple of 4, got " + cols);
        List<String> n = names(weightName);
        w.declare(n.get(0), DType.I64, 2, 1);
        w.declare(n.get(1), dtype, rows, cols / 2);
        w.declare(n.get(2), DType.U8, rows, (cols + 7) / 8);
    }

    /**
     * Writes a weight [rows, cols] in which every group of 4 inputs holds at most 2 non-zeros (else an
     * IllegalArgumentException naming the weight, row and inputs). A group with fewer non-zeros stores its first zeros.
     */
    public static void write(SafeTensorsWriter w, String weightName, Tensor weight) throws IOException {
        int rows = weight.size(0), cols = weight.size(1), pc = (cols + 7) / 8;
        float[] values = new float[Math.multiplyExact(rows, cols / 2)];
        MemorySegment bits = MemorySegment.ofArray(new byte[Math.multiplyExact(rows, pc)]);
        int o = 0;
        for (int r = 0; r < rows; r++) {
            float[] row = weight.select(0, r).toFloatArray();
            for (int g = 0; g < cols; g += 4) {
                int nz = 0;
                for (int c = g; c < g + 4; c++) if (row[c] != 0f) nz++;
                if (nz > 2) throw new IllegalArgumentException(weightName + ": row " + r + ", inputs " + g + ".." + (g + 3) + " hold " + nz + " non-zeros; sparse-24-bitmask keeps 2 of every 4");
                int zerosToKeep = 2 - nz;
                for (int c = g; c < g + 4; c++) {
                    boolean keep = row[c] != 0f;
                    if (!keep && zerosToKeep > 0) {
                        keep = true;
                        zerosToKeep--;
                    }
                    if (!keep) continue;
                    values[o++] = row[c];
                    long byteIndex = (long) r * pc + (c >>> 3);
                    bits.set(java.lang.foreign.ValueLayout.JAVA_BYTE, byteIndex, (byte) (bits.get(java.lang.foreign.ValueLayout.JAVA_BYTE, byteIndex) | 1 << (c & 7)));
                }
            }
        }
        List<String> n = names(weightName);
        w.writeLongs(n.get(0), new long[] {rows, cols});
        w.write(n.get(1), Tensor.of(values, rows, cols / 2));
        w.writeBytes(n.get(2), bits);
    }

    /** True when the checkpoint holds {@code X.weight} in this layout ({@code X.compressed} present, {@code X.weight} absent). */
    public static boolean storedIn(SafeTensors st, String weightName) {
        return !st.contains(weightName) && st.contains(names(weightName).get(1));
    }

    /**
     * The dense weight [rows, cols] (F32 heap) from its three entries, each checked against the layout: shape I64 [2, 1]
     * with positive sizes, compressed a float dtype [R, C/2], bitmask U8 [R, ceil(C/8)] with exactly 2 bits set in every
     * group of 4 and none past C. A violation is a SafeTensorsException naming the file, the entry and the rule.
     */
    public static Tensor read(SafeTensors st, String weightName) throws IOException {
        List<String> n = names(weightName);
        for (String e : n) if (!st.contains(e)) throw new SafeTensorsException(st.path(), e, "is missing; a sparse-24-bitmask weight has .shape, .compressed and .bitmask");
        TensorInfo si = st.info(n.get(0)), ci = st.info(n.get(1)), bi = st.info(n.get(2));
        if (si.dtype() != DType.I64 || si.shape().length != 2 || si.shape()[0] != 2 || si.shape()[1] != 1)
            throw new SafeTensorsException(si.file(), n.get(0), "must be I64 [2, 1], is " + si.dtype() + " " + java.util.Arrays.toString(si.shape()));
        long[] shape = st.getLongs(n.get(0));
        if (shape[0] < 1 || shape[1] < 4 || shape[1] % 4 != 0 || shape[0] * shape[1] > Integer.MAX_VALUE - 8)
            throw new SafeTensorsException(si.file(), n.get(0), "holds shape " + java.util.Arrays.toString(shape) + "; sparse-24-bitmask needs rows >= 1 and a width that is a positive multiple of 4");
        int rows = (int) shape[0], cols = (int) shape[1], pc = (cols + 7) / 8;
        if (!ci.dtype().isWeightType() || !java.util.Arrays.equals(ci.shape(), new long[] {rows, cols / 2}))
            throw new SafeTensorsException(ci.file(), n.get(1), "must be F32/BF16/F16 [" + rows + ", " + cols / 2 + "], is " + ci.dtype() + " " + java.util.Arrays.toString(ci.shape()));
        if (bi.dtype() != DType.U8 || !java.util.Arrays.equals(bi.shape(), new long[] {rows, pc}))
            throw new SafeTensorsException(bi.file(), n.get(2), "must be U8 [" + rows + ", " + pc + "], is " + bi.dtype() + " " + java.util.Arrays.toString(bi.shape()));
        float[] vals = st.get(n.get(1)).toFloatArray();
        MemorySegment bits = st.bytes(n.get(2));
        float[] out = new float[rows * cols];
        int o = 0;
        for (int r = 0; r < rows; r++) {
            for (int g = 0; g < pc * 8; g += 4) {
                int set = 0;
                for (int c = g; c < g + 4; c++) {
                    boolean bit = (bits.get(java.lang.foreign.ValueLayout.JAVA_BYTE, (long) r * pc + (c >>> 3)) >>> (c & 7) & 1) != 0;
                    if (!bit) continue;
                    if (c >= cols) throw new SafeTensorsException(bi.file(), n.get(2), "row " + r + " sets bit " + c + " past the width " + cols);
                    set++;
                    out[r * cols + c] = vals[o++];
                }
                if (g < cols && set != 2)
                    throw new SafeTensorsException(bi.file(), n.get(2), "row " + r + ", inputs " + g + ".." + (g + 3) + " set " + set + " bits; 2:4 sets exactly 2");
            }
        }
        return Tensor.of(out, rows, cols);
    }
}
