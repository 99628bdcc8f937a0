package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/** {@code prune} through the command line on stories260K: the issue's comparison table, determinism, bad input. */
class PruneCliTest {
    @TempDir Path tmp;
    Path shared, stories, valid, test;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        shared = SharedData.root().get();
        stories = shared.resolve("models/stories260K");
        valid = shared.resolve("data/text/wikitext2-valid.txt");
        test = shared.resolve("data/text/wikitext2-test.txt");
    }

    /** Perplexity on the first 64 windows of 128 tokens of wikitext2-test (whole file, BOS once). */
    double ppl(Path model) throws Exception {
        int[][] eval = Windows.first(TokenData.fromText(test, Tokenizers.load(model), null, true), 64, 128);
        return Perplexity.evaluate(LlamaModel.load(model, new VectorKernels(2)), eval, 16, null).ppl();
    }

    /** The issue's calibration: the first 32 windows of 128 tokens of wikitext2-valid. */
    static final String[] ISSUE_CALIB = {"--calib-samples", "32", "--seq-len", "128", "--calib-sampling", "first"};

    Cli prune(String method, String targetFlag, String target, Path out, String... calibration) {
        List<String> args = new java.util.ArrayList<>(List.of("prune", "--model", stories.toString(), "--method", method, targetFlag, target,
                "--calib", valid.toString(), "--threads", "2", "--out", out.toString(), "--json"));
        args.addAll(List.of(calibration.length == 0 ? ISSUE_CALIB : calibration));
        return Cli.run(args.toArray(String[]::new));
    }

    /**
     * The orderings that follow from what each method does, not from the numbers seen: every pruned model is worse
     * than the dense one; at both targets Wanda (activation-weighted scores) and SparseGPT (scores plus an OBS
     * reconstruction of the kept weights) beat magnitude, which sees neither; 2:4 is a constraint on top of 50%
     * (the unstructured mask may pick any 2:4 mask, not the reverse), so no method does better at 2:4 than at 50%; and
     * under 2:4, where the mask alone loses most, SparseGPT's reconstruction beats Wanda's mask-only pruning (as in both
     * papers). Wanda against SparseGPT at 50% is left open: the papers find them within a few percent either way. The
     * table itself lives in the README; this test holds none of its numbers.
     */
    @Test
    void theMethodsOrderAsTheirDefinitionsImplyAnd24OutputsAre24() throws Exception {
        Map<String, Double> ppl = new LinkedHashMap<>();
        double dense = ppl(stories);
        for (String[] t : new String[][] {{"--sparsity", "0.5"}, {"--nm", "2:4"}})
            for (String m : new String[] {"magnitude", "wanda", "sparsegpt"}) {
                Path out = tmp.resolve(m + "-" + t[1].replace(':', '-'));
                Cli r = prune(m, t[0], t[1], out);
                assertEquals(0, r.code(), r.err());
                Map<String, Object> j = Json.parseObject(r.lastLine(), false);
                assertEquals(0.5, ((Number) j.get("sparsity")).doubleValue(), 1e-9);
                assertEquals(35, ((List<?>) j.get("layers")).size());
                if (t[0].equals("--nm")) assertTwoOfEveryFour(out);
                ppl.put(m + " " + t[1], ppl(out));
            }
        StringBuilder table = new StringBuilder(String.format("dense %.2f%n", dense));
        ppl.forEach((k, v) -> table.append(String.format("%-18s %.2f%n", k, v)));
        System.out.print(table);
        for (Map.Entry<String, Double> e : ppl.entrySet()) assertTrue(dense < e.getValue(), e.getKey() + " must be worse than dense:\n" + table);
        for (String t : new String[] {"0.5", "2:4"}) {
            assertTrue(ppl.get("wanda " + t) < ppl.get("magnitude " + t), "Wanda must beat magnitude at " + t + ":\n" + table);
            assertTrue(ppl.get("sparsegpt " + t) < ppl.get("magnitude " + t), "SparseGPT must beat magnitude at " + t + ":\n" + table);
        }
        for (String m : new String[] {"magnitude", "wanda", "sparsegpt"})
            assertTrue(ppl.get(m + " 0.5") <= ppl.get(m + " 2:4"), m + ": 2:4 constrains the 50% mask, it cannot do better:\n" + table);
        assertTrue(ppl.get("sparsegpt 2:4") < ppl.get("wanda 2:4"), "under 2:4 SparseGPT's reconstruction must beat Wanda:\n" + table);
    }

    /** Every pruned weight of {@code model} holds exactly two zeros in each group of four consecutive inputs of a row. */
    static void assertTwoOfEveryFour(Path model) throws Exception {
        try (SafeTensors st = SafeTensors.open(model)) {
            for (String n : st.names()) {
                if (!n.endsWith("_proj.weight")) continue;
                Tensor w = st.get(n);
                float[] v = w.toFloatArray();
                int cols = w.size(1);
                for (int g = 0; g < v.length; g += 4) {
                    int z = 0;
                    for (int i = g; i < g + 4; i++) if (v[i] == 0f) z++;
                    assertEquals(2, z, n + " row " + g / cols + " columns " + g % cols + ".." + (g % cols + 3));
                }
            }
        }
    }

    @Test
    void sameSeedSameBytesAndTheOutputIsACompleteModelFolder() throws Exception {
        String[] more = {"--calib-sampling", "random", "--seed", "5", "--calib-samples", "8", "--seq-len", "64"};
        Path a = tmp.resolve("a"), b = tmp.resolve("b"), c = tmp.resolve("c");
        Cli first = prune("sparsegpt", "--sparsity", "0.6", a, more);
        assertEquals(0, first.code(), first.err());
        assertEquals(0, prune("sparsegpt", "--sparsity", "0.6", b, more).code());
        more[3] = "6";
        assertEquals(0, prune("sparsegpt", "--sparsity", "0.6", c, more).code());
        byte[] wa = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(wa, Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(java.util.Arrays.equals(wa, Files.readAllBytes(c.resolve("model.safetensors"))), "another seed, other windows, other weights");
        for (String f : new String[] {"config.json", "tokenizer.model"})
            assertArrayEquals(Files.readAllBytes(stories.resolve(f)), Files.readAllBytes(a.resolve(f)));
        try (SafeTensors in = SafeTensors.open(stories); SafeTensors out = SafeTensors.open(a)) {
            assertEquals(in.names(), out.names());
            for (String n : in.names()) {
                assertArrayEquals(in.info(n).shape(), out.info(n).shape());
                assertEquals(in.info(n).dtype(), out.info(n).dtype());
                if (!n.endsWith("_proj.weight")) assertArrayEquals(in.get(n).toFloatArray(), out.get(n).toFloatArray(), n + " is never pruned");
            }
        }
    }

    @Test
    void perLayerRatiosFromAFile() throws Exception {
        Path ratios = tmp.resolve("ratios.json");
        Files.writeString(ratios, "{\"default\": 0.5, \"layers\": {\"0\": 0.2, \"4\": 0.8}, \"linears\": {\"model.layers.2.mlp.down_proj\": 0.3}}");
        Cli r = Cli.run("prune", "--model", stories.toString(), "--method", "magnitude", "--ratios", ratios.toString(),
                "--out", tmp.resolve("o").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        for (Object o : (List<?>) Json.parseObject(r.lastLine(), false).get("layers")) {
            Map<?, ?> m = (Map<?, ?>) o;
            String n = (String) m.get("name");
            double want = n.startsWith("model.layers.0.") ? 0.2 : n.startsWith("model.layers.4.") ? 0.8 : n.equals("model.layers.2.mlp.down_proj.weight") ? 0.3 : 0.5;
            List<?> shape = (List<?>) m.get("shape");
            long params = ((Number) shape.get(0)).longValue() * ((Number) shape.get(1)).longValue();
            assertEquals((long) (want * params), ((Number) m.get("zeros")).longValue(), n);
        }
    }

    void assertRefused(int code, String expected, Cli r, Path out) {
        assertEquals(code, r.code(), r.err());
        assertTrue(r.err().contains(expected), "stderr should say '" + expected + "': " + r.err());
        assertFalse(Files.exists(out), "no output folder after a failure");
    }

    @Test
    void badTargetsAreUsageErrors() {
        Path out = tmp.resolve("never");
        assertRefused(2, "[0, 1)", prune("wanda", "--sparsity", "1.0", out), out);
        assertRefused(2, "[0, 1)", prune("wanda", "--sparsity", "-0.2", out), out);
        assertRefused(2, "1 <= N < M", prune("wanda", "--nm", "4:4", out), out);
        assertRefused(2, "1 <= N < M", prune("wanda", "--nm", "6:4", out), out);
        assertRefused(2, "--method", prune("bogus", "--sparsity", "0.5", out), out);
        assertRefused(2, "--calib", Cli.run("prune", "--model", stories.toString(), "--method", "wanda", "--sparsity", "0.5", "--out", out.toString()), out);
    }

    @Test
    void aGroupSizeThatDoesNotDivideTheWidthNamesTheWeight() {
        Path out = tmp.resolve("never");
        // intermediate_size 172 is not a multiple of 8
        assertRefused(1, "model.layers.0.mlp.down_proj.weight", prune("magnitude", "--nm", "4:8", out), out);
    }

    @Test
    void emptyOrShortCalibrationTextIsRefused() throws Exception {
        Path out = tmp.resolve("never");
        Path empty = tmp.resolve("empty.txt"), shortText = tmp.resolve("short.txt");
        Files.writeString(empty, "\n\n");
        Files.writeString(shortText, "Once upon a time there was a cat.");
        assertRefused(1, "empty.txt", Cli.run("prune", "--model", stories.toString(), "--method", "wanda", "--sparsity", "0.5",
                "--calib", empty.toString(), "--out", out.toString()), out);
        assertRefused(1, "short.txt", Cli.run("prune", "--model", stories.toString(), "--method", "sparsegpt", "--sparsity", "0.5",
                "--calib", shortText.toString(), "--calib-samples", "4", "--seq-len", "64", "--out", out.toString()), out);
    }

    @Test
    void nonFiniteActivationsAreRefused() throws Exception {
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(stories)) {
            for (String n : st.names()) tensors.put(n, st.get(n).copy());
        }
        tensors.get("model.layers.1.post_attention_layernorm.weight").set(Float.POSITIVE_INFINITY, 3);
        SafeTensorsWriter.write(broken.resolve("model.safetensors"), tensors, null);
        for (String f : new String[] {"config.json", "tokenizer.model"}) Files.copy(stories.resolve(f), broken.resolve(f));
        Path out = tmp.resolve("never");
        assertRefused(1, "model.layers.1.mlp.gate_proj input", Cli.run("prune", "--model", broken.toString(), "--method", "wanda", "--sparsity", "0.5",
                "--calib", valid.toString(), "--calib-samples", "2", "--seq-len", "32", "--out", out.toString()), out);
    }

    @Test
    void anExistingOutputFolderIsKeptUnlessForced() throws Exception {
        Path out = tmp.resolve("exists");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        Cli r = Cli.run("prune", "--model", stories.toString(), "--method", "magnitude", "--sparsity", "0.5", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("already exists"), r.err());
        assertTrue(Files.exists(out.resolve("keep.txt")));
        r = Cli.run("prune", "--model", stories.toString(), "--method", "magnitude", "--sparsity", "0.5", "--out", out.toString(), "--force");
        assertEquals(0, r.code(), r.err());
        assertFalse(Files.exists(out.resolve("keep.txt")));
        assertTrue(Files.exists(out.resolve("model.safetensors")));
    }
}
