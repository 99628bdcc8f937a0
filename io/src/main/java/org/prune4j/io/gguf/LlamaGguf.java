package org.prune4j.io.gguf;

import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.config.RopeScaling;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsException;
import org.prune4j.io.safetensors.TensorInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Exports a Hugging Face Llama-family checkpoint folder (config.json, safetensors, tokenizer) as a GGUF file that
 * llama.cpp runs: llama.cpp's tensor names and [in, out] layout, its hyperparameter keys, the tokenizer, and Q/K rows
 * permuted back from Hugging Face's rotate-half layout to the interleaved pairs llama.cpp's rotary embedding expects.
 *
 * <p>Uniform models are written as architecture "llama". Models whose layers differ in heads, KV heads or MLP width
 * (what structured pruning makes) are written as "deci", the llama.cpp architecture (Llama-3.1-Nemotron) whose loader
 * builds each layer from per-layer arrays of head_count, head_count_kv and feed_forward_length; llama.cpp's "llama"
 * loader reads such arrays but sizes every layer's tensors from layer 0.
 */
public final class LlamaGguf {
    private LlamaGguf() {}

    /** Writes {@code modelDir} to {@code out} (atomic); 2-D weights in {@code type}, norms and biases in F32. */
    public static void export(Path modelDir, Path out, GgufWriter.Type type) throws IOException {
        ModelConfig c = ModelConfig.read(modelDir);
        Path st = modelDir.resolve(SafeTensors.MODEL_FILE).toFile().exists() ? modelDir.resolve(SafeTensors.MODEL_FILE) : modelDir.resolve(SafeTensors.INDEX_FILE);
        try (SafeTensors w = SafeTensors.open(st)) {
            GgufWriter g = new GgufWriter();
            String arch = c.hasPerLayerShapes() ? "deci" : "llama";
            putHyperparameters(g, c, arch, modelDir, type);
            GgufVocab.put(g, modelDir, c.vocabSize(), c.bosTokenId(), c.eosTokenIds());
            new Tensors(g, w, c, type).addAll();
            g.write(out);
        }
    }

    private static void putHyperparameters(GgufWriter g, ModelConfig c, String arch, Path modelDir, GgufWriter.Type type) throws IOException {
        int n = c.numLayers();
        int[] heads = new int[n], kv = new int[n], ff = new int[n];
        for (int l = 0; l < n; l++) { heads[l] = c.numHeads(l); kv[l] = c.numKvHeads(l); ff[l] = c.intermediateSize(l); }
        g.putString("general.architecture", arch);
        Path name = modelDir.toAbsolutePath().normalize().getFileName();
        g.putString("general.name", name == null ? "model" : name.toString());
        g.putU32("general.file_type", type == GgufWriter.Type.F32 ? 0 : 1); // LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
        g.putU32(arch + ".vocab_size", c.vocabSize());
        g.putU32(arch + ".context_length", c.maxPositionEmbeddings());
        g.putU32(arch + ".embedding_length", c.hiddenSize());
        g.putU32(arch + ".block_count", n);
        if (arch.equals("llama")) {
            g.putU32(arch + ".feed_forward_length", ff[0]);
            g.putU32(arch + ".attention.head_count", heads[0]);
            g.putU32(arch + ".attention.head_count_kv", kv[0]);
        } else {
            g.putI32s(arch + ".feed_forward_length", ff);
            g.putI32s(arch + ".attention.head_count", heads);
            g.putI32s(arch + ".attention.head_count_kv", kv);
        }
        g.putU32(arch + ".attention.key_length", c.headDim());
        g.putU32(arch + ".attention.value_length", c.headDim());
        g.putU32(arch + ".rope.dimension_count", c.headDim());
        g.putF32(arch + ".rope.freq_base", (float) c.ropeTheta());
        g.putF32(arch + ".attention.layer_norm_rms_epsilon", (float) c.rmsNormEps());
        RopeScaling rs = c.ropeScaling();
        if (rs != null && rs.type().equals("linear")) {
            g.putString(arch + ".rope.scaling.type", "linear");
            g.putF32(arch + ".rope.scaling.factor", (float) rs.factor());
        }
    }

    /** The tensors in llama.cpp's order and names, each read from the checkpoint when the writer reaches it. */
    private static final class Tensors {
        final GgufWriter g;
        final SafeTensors w;
        final ModelConfig c;
        final GgufWriter.Type type;
        final Set<String> used = new HashSet<>();

        Tensors(GgufWriter g, SafeTensors w, ModelConfig c, GgufWriter.Type type) {
            this.g = g; this.w = w; this.c = c; this.type = type;
        }

        void addAll() throws IOException {
            int h = c.hiddenSize(), hd = c.headDim();
            add("token_embd.weight", "model.embed_tokens.weight", c.vocabSize(), h);
            RopeScaling rs = c.ropeScaling();
            if (rs != null && rs.type().equals("llama3")) {
                // llama.cpp divides each rotary frequency by rope_freqs[i]: base / scaled, from prune4j's own rule
                double[] base = ropeBase(c), scaled = base.clone();
                rs.apply(scaled);
                float[] f = new float[base.length];
                for (int i = 0; i < f.length; i++) f[i] = (float) (base[i] / scaled[i]);
                g.addTensor("rope_freqs.weight", new long[]{f.length}, GgufWriter.Type.F32, () -> f);
            }
            for (int l = 0; l < c.numLayers(); l++) {
                String p = "model.layers." + l + ".", b = "blk." + l + ".";
                int q = c.numHeads(l) * hd, kv = c.numKvHeads(l) * hd, ff = c.intermediateSize(l);
                add(b + "attn_norm.weight", p + "input_layernorm.weight", h);
                addRotary(b + "attn_q.weight", p + "self_attn.q_proj.weight", c.numHeads(l), q, h);
                addRotary(b + "attn_k.weight", p + "self_attn.k_proj.weight", c.numKvHeads(l), kv, h);
                add(b + "attn_v.weight", p + "self_attn.v_proj.weight", kv, h);
                add(b + "attn_output.weight", p + "self_attn.o_proj.weight", h, q);
                if (c.attentionBias()) {
                    addRotary(b + "attn_q.bias", p + "self_attn.q_proj.bias", c.numHeads(l), q);
                    addRotary(b + "attn_k.bias", p + "self_attn.k_proj.bias", c.numKvHeads(l), kv);
                    add(b + "attn_v.bias", p + "self_attn.v_proj.bias", kv);
                }
                if (c.outputBias()) add(b + "attn_output.bias", p + "self_attn.o_proj.bias", h);
                add(b + "ffn_norm.weight", p + "post_attention_layernorm.weight", h);
                add(b + "ffn_gate.weight", p + "mlp.gate_proj.weight", ff, h);
                add(b + "ffn_up.weight", p + "mlp.up_proj.weight", ff, h);
                add(b + "ffn_down.weight", p + "mlp.down_proj.weight", h, ff);
                if (c.mlpBias()) {
                    add(b + "ffn_gate.bias", p + "mlp.gate_proj.bias", ff);
                    add(b + "ffn_up.bias", p + "mlp.up_proj.bias", ff);
                    add(b + "ffn_down.bias", p + "mlp.down_proj.bias", h);
                }
            }
            add("output_norm.weight", "model.norm.weight", h);
            if (!c.tieWordEmbeddings())
                add("output.weight", "lm_head.weight", c.vocabSize(), h);
            for (String name : w.names()) {
                if (!used.contains(name) && !name.endsWith("rotary_emb.inv_freq") && !(c.tieWordEmbeddings() && name.equals("lm_head.weight")))
                    throw new SafeTensorsException(w.path(), name, "has no place in a llama.cpp model (GGUF export knows the Llama tensors)");
            }
        }

        /** A tensor copied as it is; {@code shape} is the PyTorch shape, checked against the checkpoint. */
        void add(String gguf, String hf, int... shape) throws IOException {
            check(hf, shape);
            g.addTensor(gguf, ggmlDims(shape), shape.length == 1 ? GgufWriter.Type.F32 : type, () -> w.get(hf).toFloatArray());
        }

        /** A Q or K weight/bias whose rows go from rotate-half (HF) to interleaved pairs (llama.cpp) within each head. */
        void addRotary(String gguf, String hf, int heads, int... shape) throws IOException {
            check(hf, shape);
            int rows = shape[0], cols = shape.length == 2 ? shape[1] : 1;
            g.addTensor(gguf, ggmlDims(shape), shape.length == 1 ? GgufWriter.Type.F32 : type,
                    () -> permuteRotary(w.get(hf).toFloatArray(), heads, rows / heads, cols));
        }

        private void check(String hf, int[] shape) throws IOException {
            if (!w.contains(hf)) throw new SafeTensorsException(w.path(), hf, "is missing (config.json says the model has it)");
            TensorInfo t = w.info(hf);
            if (!Arrays.equals(t.intShape(), shape))
                throw new SafeTensorsException(w.path(), hf, "has shape " + Arrays.toString(t.shape()) + ", config.json implies " + Arrays.toString(shape));
            used.add(hf);
        }
    }

    /**
     * Row (h, j, i) of Hugging Face's layout (head h, half j, pair i) goes to row (h, i, j): llama.cpp rotates
     * adjacent pairs (x[2i], x[2i+1]) where Hugging Face rotates (x[i], x[i + d/2]). The inverse of the permutation
     * Hugging Face's Llama conversion applies.
     */
    static float[] permuteRotary(float[] w, int heads, int headDim, int cols) {
        float[] out = new float[w.length];
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            for (int j = 0; j < 2; j++) {
                for (int i = 0; i < half; i++) {
                    int src = h * headDim + j * half + i, dst = h * headDim + 2 * i + j;
                    System.arraycopy(w, src * cols, out, dst * cols, cols);
                }
            }
        }
        return out;
    }

    private static double[] ropeBase(ModelConfig c) {
        double[] f = new double[c.headDim() / 2];
        for (int i = 0; i < f.length; i++) f[i] = 1.0 / Math.pow(c.ropeTheta(), 2.0 * i / c.headDim());
        return f;
    }

    private static long[] ggmlDims(int[] shape) {
        long[] d = new long[shape.length];
        for (int i = 0; i < shape.length; i++) d[i] = shape[shape.length - 1 - i];
        return d;
    }
}
