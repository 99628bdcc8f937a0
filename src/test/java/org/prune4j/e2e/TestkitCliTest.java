package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.Sparsity;
import org.prune4j.testkit.Gens;
import org.prune4j.testkit.Generators;
import org.prune4j.testkit.Invariants;
import org.prune4j.testkit.StructuredInvariants;
import org.prune4j.transformer.Linear;

/**
 * The testkit on the command line's outputs, no ../shared needed: on random Llama-family models (MHA/GQA/MQA, tied
 * or not, q/k/v bias, per-layer shapes) `prune` with magnitude and Wanda gives sub-networks of the parent, `--nm`
 * gives the N:M pattern in every linear weight, and `verify` agrees.
 */
class TestkitCliTest {
    @TempDir Path tmp;
    int run;

    @Test
    void pruneOutputsKeepTheTestkitsInvariantsOnGeneratedModels() {
        qt().withExamples(6).forAll(Gens.configs(), Gens.seeds()).checkAssert((cfg, seed) -> {
            try {
                Path dense = Files.createDirectories(tmp.resolve("dense" + run));
                cfg.write(dense.resolve(ModelConfig.FILE));
                SafeTensorsWriter.write(dense.resolve("model.safetensors"), Generators.tensors(cfg, new SplittableRandom(seed)), Map.of());
                Path calib = tmp.resolve("calib" + run + ".json");
                int[][] w = Generators.windows(new SplittableRandom(seed), 1, 64, cfg.vocabSize());
                Files.writeString(calib, Json.write(java.util.Arrays.stream(w[0]).mapToObj(i -> (Object) (long) i).toList()));
                for (String method : new String[] {"magnitude", "wanda"}) {
                    Path out = tmp.resolve(method + run);
                    Cli c = Cli.run("prune", "--model", dense.toString(), "--method", method, "--sparsity", "0.5", "--calib", calib.toString(),
                            "--calib-samples", "4", "--seq-len", "16", "--threads", "1", "--out", out.toString());
                    assertEquals(0, c.code(), c.err());
                    StructuredInvariants.subNetworkOfParent(dense, out);
                }
                int m = 2;
                boolean divides = true;
                for (int l = 0; l < cfg.numLayers(); l++) divides &= cfg.intermediateSize(l) % m == 0 && cfg.hiddenSize() % m == 0 && cfg.numHeads(l) * cfg.headDim() % m == 0;
                if (divides) {
                    Path out = tmp.resolve("nm" + run);
                    Cli c = Cli.run("prune", "--model", dense.toString(), "--method", "magnitude", "--nm", "1:2", "--out", out.toString());
                    assertEquals(0, c.code(), c.err());
                    try (SafeTensors st = SafeTensors.open(out)) {
                        for (int l = 0; l < cfg.numLayers(); l++)
                            for (Linear lin : Linear.values()) {
                                var t = st.get(lin.weightName(l));
                                Invariants.nmPattern(t.toFloatArray(), t.size(0), t.size(1), new org.prune4j.tensor.NM(1, m));
                            }
                    }
                    assertEquals(0, Cli.run("verify", "--dense", dense.toString(), "--pruned", out.toString()).code());
                }
                run++;
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }
}
