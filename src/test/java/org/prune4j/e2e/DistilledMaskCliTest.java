package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.Tensor;
import org.prune4j.testkit.Invariants;
import org.prune4j.transformer.Linear;

/**
 * The testkit's keeps-mask invariant on the real pipeline: stories260K pruned to 2:4 by `prune`, then distilled from
 * the dense model by `distill` (full fine-tuning, and LoRA merged at the end): every pruned weight is still exactly
 * zero and every linear weight is still 2:4, while the kept weights did move (so the check is not vacuous).
 */
class DistilledMaskCliTest {
    @TempDir static Path tmp;
    static Path dense, sparse, data;

    @BeforeAll
    static void prune() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get();
        dense = shared.resolve("models/stories260K");
        data = shared.resolve("data/text/tinystories-sample.txt");
        sparse = tmp.resolve("s24");
        Cli p = Cli.run("prune", "--model", dense.toString(), "--method", "magnitude", "--nm", "2:4", "--out", sparse.toString());
        assertEquals(0, p.code(), p.err());
    }

    @Test
    void distilledTwoFourStudentKeepsItsMask() throws Exception {
        check(distill("full"));
    }

    @Test
    void loraMergedTwoFourStudentKeepsItsMask() throws Exception {
        check(distill("lora", "--lora-rank", "4", "--lora-alpha", "4"));
    }

    /** The invariant can fail: with the masks off (--no-keep-sparsity) distillation fills pruned weights and it says so. */
    @Test
    void withoutMasksTheInvariantRejectsTheStudent() throws Exception {
        Path out = distill("unmasked", "--no-keep-sparsity");
        var e = assertThrows(org.prune4j.testkit.InvariantViolation.class, () -> Invariants.keepsMask(linears(sparse), linears(out)));
        assertTrue(e.getMessage().contains("keeps-mask"), e.getMessage());
    }

    private static Path distill(String name, String... extra) {
        Path out = tmp.resolve(name);
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("distill", "--teacher", dense.toString(), "--student", sparse.toString(),
                "--data", data.toString(), "--doc-separator", "<|endoftext|>", "--seq-len", "32", "--batch", "2", "--steps", "3",
                "--lr", "1e-2", "--schedule", "constant", "--threads", "2", "--out", out.toString()));
        a.addAll(java.util.List.of(extra));
        Cli c = Cli.run(a.toArray(String[]::new));
        assertEquals(0, c.code(), c.err());
        return out;
    }

    private static void check(Path trained) throws Exception {
        Map<String, Tensor> before = linears(sparse), after = linears(trained);
        Invariants.keepsMask(before, after);
        boolean moved = false;
        for (Map.Entry<String, Tensor> e : after.entrySet()) {
            Tensor t = e.getValue();
            Invariants.nmPattern(t.toFloatArray(), t.size(0), t.size(1), new NM(2, 4));
            moved |= !java.util.Arrays.equals(t.toFloatArray(), before.get(e.getKey()).toFloatArray());
        }
        assertTrue(moved, "distillation changed no kept weight: the mask check would be vacuous");
    }

    private static Map<String, Tensor> linears(Path dir) throws Exception {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(dir)) {
            int layers = org.prune4j.io.config.ModelConfig.read(dir).numLayers();
            for (int l = 0; l < layers; l++)
                for (Linear lin : Linear.values()) {
                    Tensor t = st.get(lin.weightName(l));
                    m.put(lin.weightName(l), Tensor.of(t.toFloatArray(), t.shape()));
                }
        }
        return m;
    }
}
