package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * {@code verify} through the command line on stories260K: it passes on prune4j's own unstructured, N:M and
 * structured outputs and on a dense-with-zeros F16 copy written the way other tools write one; it fails, naming
 * the tensor, row and column, on copies where one pruned weight was set non-zero, a kept unit's weight altered,
 * or the tokenizer changed.
 */
class VerifyCliTest {
    @TempDir Path tmp;
    Path stories, valid;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        stories = SharedData.root().get().resolve("models/stories260K");
        valid = SharedData.root().get().resolve("data/text/wikitext2-valid.txt");
    }

    static final String DOWN1 = "model.layers.1.mlp.down_proj.weight";

    Path prune(String name, String... target) {
        Path out = tmp.resolve(name);
        List<String> a = new ArrayList<>(List.of("prune", "--model", stories.toString(), "--calib", valid.toString(), "--calib-samples", "4",
                "--seq-len", "64", "--calib-sampling", "first", "--threads", "2", "--out", out.toString()));
        a.addAll(List.of(target));
        Cli c = Cli.run(a.toArray(String[]::new));
        assertEquals(0, c.code(), c.err());
        return out;
    }

    Cli verify(Path pruned, String... more) {
        List<String> a = new ArrayList<>(List.of("verify", "--dense", stories.toString(), "--pruned", pruned.toString()));
        a.addAll(List.of(more));
        return Cli.run(a.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(Cli c) throws Exception {
        return Json.parseObject(c.lastLine(), true);
    }

    /** A copy of model folder {@code src} whose tensors {@code edit} may change (tensors on the heap, F32, or as edit leaves them). */
    Path copy(Path src, String name, java.util.function.Consumer<Map<String, Tensor>> edit) throws Exception {
        Path dst = Files.createDirectories(tmp.resolve(name));
        for (Path f : Files.list(src).toList()) if (!f.getFileName().toString().endsWith(".safetensors")) Files.copy(f, dst.resolve(f.getFileName()));
        Map<String, Tensor> t = new LinkedHashMap<>();
        Map<String, String> meta;
        try (SafeTensors st = SafeTensors.open(src)) {
            for (var i : st.infos()) t.put(i.name(), st.get(i.name()).toF32());
            meta = new LinkedHashMap<>(st.metadata());
        }
        meta.remove("format");
        edit.accept(t);
        SafeTensorsWriter.write(dst.resolve("model.safetensors"), t, meta);
        return dst;
    }

    @Test
    void passesOnUnstructuredAndNMOutputsAndNamesThePlantedWeight() throws Exception {
        Path wanda = prune("wanda50", "--method", "wanda", "--sparsity", "0.5");
        Cli ok = verify(wanda, "--json");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        Map<String, Object> r = json(ok);
        assertEquals(true, r.get("passed"));
        assertEquals(0.5, (double) r.get("sparsity"), 1e-3, "stories260K's widths are even, so per-row 50% is exactly half");
        String checks = r.get("checks").toString();
        assertTrue(checks.contains("safetensors metadata") && checks.contains("surviving linear weights"), checks);

        // unstructured 50% is not 2:4: claiming it must fail on the N:M rule
        Cli notNm = verify(wanda, "--expect-nm", "2:4");
        assertEquals(1, notNm.code(), notNm.out());
        assertTrue(notNm.out().contains(": nm: 2:4: columns"), notNm.out());

        Path nm = prune("mag24", "--method", "magnitude", "--nm", "2:4");
        Cli nmOk = verify(nm);
        assertEquals(0, nmOk.code(), nmOk.out() + nmOk.err());
        assertTrue(nmOk.out().contains("nm 2:4 (safetensors metadata)"), nmOk.out());

        // one pruned weight set non-zero: the first zero of row 3 of layer 1's down_proj
        int[] at = new int[2];
        Path planted = copy(nm, "planted", t -> {
            Tensor w = t.get(DOWN1);
            int c = 0;
            while (w.get(3, c) != 0) c++;
            at[0] = 3;
            at[1] = c;
            w.set(0.25f, 3, c);
        });
        Cli bad = verify(planted);
        assertEquals(1, bad.code(), bad.out());
        int group = at[1] / 4 * 4;
        assertTrue(bad.out().contains(DOWN1 + "[3, " + group + "]: nm: 2:4: columns " + group + ".." + (group + 3) + " hold 1 zeros"), bad.out());
        assertTrue(bad.out().contains(DOWN1 + "[3, " + at[1] + "]: subnetwork: holds 0.25"), bad.out());
        assertFalse(bad.out().contains("layers.0."), "only the planted tensor is named:\n" + bad.out());
    }

    @Test
    void passesOnStructuredOutputWithItsPlanAndNamesAnAlteredKeptUnit() throws Exception {
        Path plan = tmp.resolve("plan.json");
        Path out = prune("struct", "--method", "magnitude", "--target", "num_key_value_heads=2", "--target", "intermediate_size=128",
                "--target", "num_hidden_layers=4", "--plan-out", plan.toString());
        Cli ok = verify(out, "--plan", plan.toString(), "--json");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        Map<String, Object> r = json(ok);
        @SuppressWarnings("unchecked") Map<String, Object> s = (Map<String, Object>) r.get("structure");
        assertEquals(1, ((List<?>) s.get("removed_layers")).size(), s.toString());
        assertTrue(((long) r.get("params")) < ((long) r.get("dense_params")));
        assertEquals(r.get("params"), r.get("expected_params"));

        // without the plan the changed shapes are a config violation that says to give --plan
        Cli noPlan = verify(out);
        assertEquals(1, noPlan.code());
        assertTrue(noPlan.out().contains("--plan FILE"), noPlan.out());

        // a kept neuron's weight altered (layer 1 down_proj row 5, column 7) and a mean-pooled KV row altered
        Path altered = copy(out, "altered", t -> {
            Tensor w = t.get(DOWN1);
            w.set(w.get(5, 7) + 0.5f, 5, 7);
            Tensor k = t.get("model.layers.0.self_attn.k_proj.weight");
            k.set(k.get(2, 3) * 2 + 1, 2, 3);
        });
        Cli bad = verify(altered, "--plan", plan.toString());
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.out().contains(DOWN1 + "[5, 7]: kept-unit: holds"), bad.out());
        assertTrue(bad.out().contains("model.layers.0.self_attn.k_proj.weight[2, 3]: kept-unit: holds"), bad.out());
        assertTrue(bad.out().contains("the mean of the parent's rows"), "KV heads were pooled: " + bad.out());
        assertTrue(bad.out().contains("2 violations"), bad.out());
    }

    @Test
    void passesOnDenseWithZerosF16FromAnotherToolAndCatchesAChangedTokenizer() throws Exception {
        // what the Wanda repository writes: every tensor in F16, the lowest |W| half of each linear row zeroed, no metadata
        Path other = copy(stories, "other", t -> {
            for (Map.Entry<String, Tensor> e : t.entrySet()) {
                Tensor w = e.getValue();
                if (e.getKey().endsWith("_proj.weight"))
                    for (int r = 0; r < w.size(0); r++) {
                        float[] row = new float[w.size(1)];
                        w.select(0, r).copyTo(row, 0);
                        Integer[] idx = new Integer[row.length];
                        for (int c = 0; c < idx.length; c++) idx[c] = c;
                        java.util.Arrays.sort(idx, (a, b) -> Float.compare(Math.abs(row[a]), Math.abs(row[b])));
                        for (int c = 0; c < row.length / 2; c++) w.set(0f, r, idx[c]);
                    }
                e.setValue(w.to(DType.F16, Arena.ofAuto()));
            }
        });
        Cli ok = verify(other, "--expect-sparsity", "0.5", "--expect-subnetwork");
        assertEquals(0, ok.code(), ok.out() + ok.err());
        Cli strict = verify(other, "--expect-sparsity", "0.6");
        assertEquals(1, strict.code());
        assertTrue(strict.out().contains(": sparsity: holds"), strict.out());

        Path tok = copy(stories, "tok", t -> {});
        byte[] b = Files.readAllBytes(tok.resolve("tokenizer.model"));
        Files.write(tok.resolve("tokenizer.model"), java.util.Arrays.copyOf(b, b.length / 2));
        Cli badTok = verify(tok);
        assertEquals(1, badTok.code());
        assertTrue(badTok.out().contains(": tokenizer: "), badTok.out());
    }
}
