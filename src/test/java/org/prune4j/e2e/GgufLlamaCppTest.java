package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.json.Json;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/**
 * The proof that {@code export --format gguf} is right: llama.cpp itself (node-llama-cpp 3.21.1) loads the exported
 * stories260K, dense and 2:4-pruned, and its greedy continuation from BOS equals prune4j's {@code generate
 * --temperature 0} token for token, and the log-likelihood it gives every token of that continuation equals
 * prune4j's. @huggingface/gguf, a second independent reader, reads the header. Skipped with a message where node, npm
 * or the registry is missing.
 *
 * <p>Tolerance: a wrong layout (an unpermuted Q/K, a transposed matrix, a missing norm) changes per-token
 * log-likelihoods by O(0.1-1) nats and the greedy text within a few tokens; two float32 implementations of the same
 * network differ by rounding only, which over a 5-layer, 64-wide model is a few float32 ulps of the logits (measured:
 * 6e-6 nats at most, 1e-6 on average, with llama.cpp's plain float32 path: F32 KV cache, no flash attention).
 * 1e-4 nats is ten times the rounding and a thousand times below a layout error.
 */
class GgufLlamaCppTest {
    static final double LOGPROB_TOL = 1e-4;
    static final int STEPS = 200;
    static Path model;

    @TempDir Path tmp;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        model = SharedData.root().get().resolve("models/stories260K");
        Assumptions.assumeTrue(LlamaCpp.find().isPresent(), LlamaCpp.why());
    }

    @Test
    void denseStories260kRunsInLlamaCppAsInPrune4j() throws Exception {
        Map<String, Object> r = exportAndCompare(model, "f32");
        @SuppressWarnings("unchecked") Map<String, Object> header = (Map<String, Object>) r.get("header");
        assertEquals("llama", header.get("architecture"));
        assertEquals(3, ((Number) header.get("version")).intValue());
        assertEquals(2 + 5 * 9, ((Number) header.get("tensor_count")).intValue(), "token_embd, output_norm and 9 per layer (tied head)");
        assertEquals(List.of(403, 407, 261, 378), ints(r.get("tokenize")), "llama.cpp's tokenizer from the GGUF vocabulary = sentencepiece's ids");
    }

    @Test
    void twoFourPrunedStories260kRunsInLlamaCppAsInPrune4j() throws Exception {
        Path pruned = tmp.resolve("s260k-24");
        Path calib = SharedData.root().get().resolve("data/text/tinystories-valid-201.txt");
        Cli p = Cli.run("prune", "--model", model.toString(), "--method", "magnitude", "--nm", "2:4", "--calib", calib.toString(),
                "--calib-samples", "4", "--seq-len", "128", "--calib-sampling", "first", "--out", pruned.toString());
        assertEquals(0, p.code(), p.err());
        exportAndCompare(pruned, "f32");
    }

    /**
     * stories260K structurally pruned by prune4j itself: minitron heads 8 -> 4 (one query head per KV group) and MLP
     * 172 -> 128, uniform, so a plain "llama" file; and the same criterion with --allocation global, whose per-layer
     * shapes go out as "deci". llama.cpp must run both as prune4j does.
     */
    @Test
    void structuredPrunedStories260kRunsInLlamaCppAsInPrune4j() throws Exception {
        Path calib = SharedData.root().get().resolve("data/text/tinystories-train-2mib.txt");
        Path uniform = tmp.resolve("s260k-h4-i128"), global = tmp.resolve("s260k-global");
        for (Path out : List.of(uniform, global)) {
            List<String> args = new ArrayList<>(List.of("prune", "--model", model.toString(), "--method", "minitron",
                    "--target", "num_attention_heads=4", "--target", "intermediate_size=128", "--calib", calib.toString(),
                    "--doc-separator", "<|endoftext|>", "--calib-samples", "8", "--seq-len", "128", "--calib-sampling", "first",
                    "--out", out.toString()));
            if (out == global) args.addAll(List.of("--allocation", "global"));
            Cli p = Cli.run(args.toArray(String[]::new));
            assertEquals(0, p.code(), p.err());
        }
        @SuppressWarnings("unchecked") Map<String, Object> h1 = (Map<String, Object>) exportAndCompare(uniform, "f32").get("header");
        assertEquals("llama", h1.get("architecture"));
        ModelConfig g = ModelConfig.read(global);
        @SuppressWarnings("unchecked") Map<String, Object> h2 = (Map<String, Object>) exportAndCompare(global, "f32").get("header");
        assertEquals(g.hasPerLayerShapes() ? "deci" : "llama", h2.get("architecture"));
    }

    /**
     * A heads- and width-pruned stories260K, cut by hand: layer 0 loses its last KV group (query heads 6 and 7 and
     * KV head 3), layer 1's MLP keeps 128 of 172 channels. Its layers now differ, so it goes out as llama.cpp's "deci".
     */
    @Test
    void perLayerShapesRunInLlamaCppAsDeci() throws Exception {
        Path cut = tmp.resolve("s260k-cut");
        Files.createDirectories(cut);
        ModelConfig cfg = ModelConfig.read(model);
        int hd = cfg.headDim();
        Map<String, Tensor> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(model)) {
            for (String n : st.names()) t.put(n, Tensor.of(st.get(n).toFloatArray(), st.get(n).shape()));
        }
        t.put("model.layers.0.self_attn.q_proj.weight", rows(t.get("model.layers.0.self_attn.q_proj.weight"), 6 * hd));
        t.put("model.layers.0.self_attn.k_proj.weight", rows(t.get("model.layers.0.self_attn.k_proj.weight"), 3 * hd));
        t.put("model.layers.0.self_attn.v_proj.weight", rows(t.get("model.layers.0.self_attn.v_proj.weight"), 3 * hd));
        t.put("model.layers.0.self_attn.o_proj.weight", cols(t.get("model.layers.0.self_attn.o_proj.weight"), 6 * hd));
        t.put("model.layers.1.mlp.gate_proj.weight", rows(t.get("model.layers.1.mlp.gate_proj.weight"), 128));
        t.put("model.layers.1.mlp.up_proj.weight", rows(t.get("model.layers.1.mlp.up_proj.weight"), 128));
        t.put("model.layers.1.mlp.down_proj.weight", cols(t.get("model.layers.1.mlp.down_proj.weight"), 128));
        SafeTensorsWriter.write(cut.resolve("model.safetensors"), t, Map.of());
        cfg.withLayer(0, 6, 3, cfg.intermediateSize(0)).withLayer(1, cfg.numHeads(1), cfg.numKvHeads(1), 128).write(cut.resolve("config.json"));
        Files.copy(model.resolve("tokenizer.model"), cut.resolve("tokenizer.model"));
        Map<String, Object> r = exportAndCompare(cut, "f32");
        @SuppressWarnings("unchecked") Map<String, Object> header = (Map<String, Object>) r.get("header");
        assertEquals("deci", header.get("architecture"));
    }

    /**
     * A byte-level BPE vocabulary (GPT-2's tokenizer.json) goes out as GGUF model "gpt2" with pre-tokenizer "gpt-2":
     * llama.cpp then cuts and merges a text into the same ids as prune4j (which matches Hugging Face's tokenizers),
     * and runs the (random, 2-layer) model it belongs to as prune4j does.
     */
    @Test
    void byteLevelBpeVocabularyTokenizesInLlamaCppAsInPrune4j() throws Exception {
        Path dir = tmp.resolve("tiny-gpt2-vocab");
        Files.createDirectories(dir);
        ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").numLayers(2).hiddenSize(32).numHeads(4).numKvHeads(2).intermediateSize(64)
                .vocabSize(50257).maxPositionEmbeddings(128).tieWordEmbeddings(true).bosTokenId(50256).eosTokenIds(50256).build();
        try (VectorKernels k = new VectorKernels(2)) {
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), LlamaModel.random(cfg, 3, 0.02f, k).namedTensors(), Map.of());
        }
        cfg.write(dir.resolve("config.json"));
        Files.copy(SharedData.root().get().resolve("data/tokenizers/gpt2/tokenizer.json"), dir.resolve("tokenizer.json"));
        Path gguf = tmp.resolve("tiny-gpt2-vocab.gguf");
        Cli e = Cli.run("export", "--model", dir.toString(), "--out", gguf.toString());
        assertEquals(0, e.code(), e.err());

        String text = "Hello world! It's 2026, and naïve café-goers don't   count 12345 tokens.\nNew line\ttab ünïcödé 日本語";
        int[] ids = org.prune4j.io.tokenizer.Tokenizers.load(dir).encode(text);
        List<Integer> score = new ArrayList<>();
        for (int id : ids) score.add(id);
        Map<String, Object> r = LlamaCpp.find().get().check(gguf, Map.of("prompt", List.of(ids[0]), "steps", 1, "score", score, "text", text));
        assertEquals(score, ints(r.get("tokenize")), "llama.cpp's ids for the text vs prune4j's (= Hugging Face tokenizers')");
        double[] mine = logLikelihoods(dir, ids);
        @SuppressWarnings("unchecked") List<Object> theirs = (List<Object>) r.get("logprobs");
        for (int i = 0; i < mine.length; i++)
            assertEquals(mine[i], ((Number) theirs.get(i)).doubleValue(), LOGPROB_TOL, "log-likelihood of token " + (i + 1));
    }

    private static Tensor rows(Tensor w, int keep) {
        int cols = w.shape()[1];
        return Tensor.of(java.util.Arrays.copyOf(w.toFloatArray(), keep * cols), keep, cols);
    }

    private static Tensor cols(Tensor w, int keep) {
        int rows = w.shape()[0], cols = w.shape()[1];
        float[] a = w.toFloatArray(), out = new float[rows * keep];
        for (int r = 0; r < rows; r++) System.arraycopy(a, r * cols, out, r * keep, keep);
        return Tensor.of(out, rows, keep);
    }

    @Test
    void f16ExportKeepsTheGreedyTextClose() throws Exception {
        // f16 rounds every weight (relative 2^-11): the continuation may drift late, so only its opening is compared
        Path gguf = tmp.resolve("s260k-f16.gguf");
        Cli e = Cli.run("export", "--model", model.toString(), "--format", "gguf", "--dtype", "f16", "--out", gguf.toString());
        assertEquals(0, e.code(), e.err());
        int[] ours = prune4jGreedy(model);
        Map<String, Object> r = LlamaCpp.find().get().check(gguf, Map.of("prompt", List.of(ours[0]), "steps", 20, "score", List.of(ours[0], ours[1])));
        assertEquals(slice(ours, 1, 21), ints(r.get("greedy")));
        assertTrue(Files.size(gguf) < 700_000, "f16 weights: " + Files.size(gguf) + " bytes");
    }

    /** Exports {@code dir}, runs it in llama.cpp, and checks greedy tokens and log-likelihoods against prune4j's. */
    private Map<String, Object> exportAndCompare(Path dir, String dtype) throws Exception {
        Path gguf = tmp.resolve(dir.getFileName() + ".gguf");
        Cli e = Cli.run("export", "--model", dir.toString(), "--format", "gguf", "--dtype", dtype, "--out", gguf.toString());
        assertEquals(0, e.code(), e.err());

        long t0 = System.nanoTime();
        int[] ours = prune4jGreedy(dir);
        System.err.printf("prune4j generate took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        List<Integer> score = new ArrayList<>();
        for (int t : ours) score.add(t);
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("prompt", List.of(ours[0]));
        spec.put("steps", STEPS);
        spec.put("score", score);
        spec.put("text", "Once upon a time");
        long t1 = System.nanoTime();
        Map<String, Object> r = LlamaCpp.find().get().check(gguf, spec);
        System.err.printf("llama.cpp check of %s took %.1f s%n", gguf.getFileName(), (System.nanoTime() - t1) / 1e9);
        System.err.println("llama.cpp " + Json.write(r.get("llama_cpp")) + " ran " + gguf.getFileName());

        assertEquals(slice(ours, 1, ours.length), ints(r.get("greedy")), "llama.cpp's greedy continuation of BOS vs prune4j's generate --temperature 0");

        double[] mine = logLikelihoods(dir, ours);
        @SuppressWarnings("unchecked") List<Object> theirs = (List<Object>) r.get("logprobs");
        assertEquals(mine.length, theirs.size());
        double worst = 0, sum = 0, sumMine = 0;
        int at = -1;
        for (int i = 0; i < mine.length; i++) {
            assertNotNull(theirs.get(i), "llama.cpp gave no probability for token " + (i + 1));
            double d = Math.abs(mine[i] - ((Number) theirs.get(i)).doubleValue());
            sum += d;
            sumMine += mine[i];
            if (d > worst) { worst = d; at = i; }
        }
        System.err.printf("%s: %d greedy tokens equal; per-token log-likelihood |prune4j - llama.cpp|: max %.2e nats (token %d: %.5f vs %s), mean %.2e; prune4j total %.5f%n",
                dir.getFileName(), STEPS, worst, at + 1, mine[Math.max(at, 0)], theirs.get(Math.max(at, 0)), sum / mine.length, sumMine);
        assertTrue(worst < LOGPROB_TOL, "per-token log-likelihoods differ by up to " + worst + " nats");
        return r;
    }

    /** BOS and 200 greedy tokens from prune4j's own CLI. */
    private static int[] prune4jGreedy(Path dir) throws Exception {
        Cli g = Cli.run("generate", "--model", dir.toString(), "--steps", String.valueOf(STEPS), "--temperature", "0", "--json");
        assertEquals(0, g.code(), g.err());
        @SuppressWarnings("unchecked") List<Object> ids = (List<Object>) ((Map<String, Object>) Json.parse(g.lastLine())).get("tokens");
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) ids.get(i)).intValue();
        assertEquals(STEPS + 1, out.length);
        return out;
    }

    /** log p(tokens[i+1] | tokens[..i]) from prune4j's full-sequence forward, log-softmax in double. */
    private static double[] logLikelihoods(Path dir, int[] tokens) throws Exception {
        try (VectorKernels k = new VectorKernels(2)) {
            LlamaModel m = LlamaModel.load(dir, k);
            Tensor logits = m.logits(new int[][]{tokens});
            float[] l = logits.contiguous().toFloatArray();
            int v = m.config().vocabSize();
            double[] out = new double[tokens.length - 1];
            for (int t = 0; t + 1 < tokens.length; t++) {
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int j = 0; j < v; j++) max = Math.max(max, l[t * v + j]);
                for (int j = 0; j < v; j++) sum += Math.exp(l[t * v + j] - max);
                out[t] = l[t * v + tokens[t + 1]] - max - Math.log(sum);
            }
            return out;
        }
    }

    private static List<Integer> ints(Object jsonList) {
        List<Integer> l = new ArrayList<>();
        for (Object o : (List<?>) jsonList) l.add(((Number) o).intValue());
        return l;
    }

    private static List<Integer> slice(int[] a, int from, int to) {
        List<Integer> l = new ArrayList<>();
        for (int i = from; i < to; i++) l.add(a[i]);
        return l;
    }
}
