package org.prune4j.testkit;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.CheckpointPruner;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.SequentialPruner;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.SparsityPlan;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.transformer.LlamaModel;

/** The structured and checkpoint invariants hold for prune4j's writer, codec and pruners, and reject broken ones. */
class StructuredInvariantsTest {
    @TempDir Path tmp;

    @Test
    void generatedConfigsBuildModelsThatRun() {
        qt().withExamples(30).forAll(Gens.configs(), Gens.seeds()).checkAssert((cfg, seed) -> {
            LlamaModel m = Generators.model(cfg, new SplittableRandom(seed));
            int[][] w = Generators.windows(new SplittableRandom(seed), 2, 5, cfg.vocabSize());
            float[] logits = m.logits(w).toFloatArray();
            assertEquals(2 * 5 * cfg.vocabSize(), logits.length);
            for (float v : logits) assertTrue(Float.isFinite(v), cfg::toString);
        });
    }

    /** A uniform config (plans need one shape per layer). */
    static ModelConfig uniform(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelConfig c;
        do c = Generators.config(r); while (c.hasPerLayerShapes());
        return c;
    }

    @Test
    void planRoundTrips() {
        qt().withExamples(20).forAll(Gens.seeds()).checkAssert(seed -> {
            LlamaModel m = Generators.model(uniform(seed), new SplittableRandom(seed));
            Plan p = Generators.plan(m, new SplittableRandom(seed + 1), true);
            StructuredInvariants.planRoundTrips(p, StructuredInvariants.jsonRoundTrip(tmp));
        });
        // a codec that loses the scores must be rejected
        InvariantsTest.rejects("plan-round-trip", () -> qt().withExamples(20).forAll(Gens.seeds()).checkAssert(seed -> {
            LlamaModel m = Generators.model(uniform(seed), new SplittableRandom(seed));
            Plan p = Generators.plan(m, new SplittableRandom(seed + 1), true);
            StructuredInvariants.planRoundTrips(p, q -> new Plan(q.source(), q.criterion(), q.targets(), q.layers(), q.channels(), Map.of()));
        }));
    }

    @Test
    void removalEqualsMasking() {
        BiFunction<LlamaModel, Plan, LlamaModel> writer = StructuredInvariants.writer(tmp);
        qt().withExamples(12).forAll(Gens.seeds()).checkAssert(seed -> {
            LlamaModel m = Generators.model(uniform(seed), new SplittableRandom(seed));
            Plan p = Generators.plan(m, new SplittableRandom(seed + 1), false);
            StructuredInvariants.removalEqualsMasking(m, p, Generators.windows(new SplittableRandom(seed), 2, 6, m.config().vocabSize()), writer);
        });
        // a remover that keeps the first neurons instead of the planned ones
        BiFunction<LlamaModel, Plan, LlamaModel> firstNeurons = (m, p) -> {
            List<Plan.LayerPlan> ls = p.layers().stream().map(l -> new Plan.LayerPlan(l.source(), l.heads(), l.kv(),
                    java.util.stream.IntStream.range(0, l.intermediateSize()).toArray())).toList();
            return writer.apply(m, new Plan(p.source(), p.criterion(), p.targets(), ls, p.channels(), p.scores()));
        };
        InvariantsTest.rejects("removal-equals-masking", () -> qt().withExamples(12).forAll(Gens.seeds()).checkAssert(seed -> {
            LlamaModel m = Generators.model(uniform(seed), new SplittableRandom(seed));
            Plan p = Generators.plan(m, new SplittableRandom(seed + 1), false);
            StructuredInvariants.removalEqualsMasking(m, p, Generators.windows(new SplittableRandom(seed), 2, 6, m.config().vocabSize()), firstNeurons);
        }));
    }

    /** Prunes a generated model folder with {@code p} at 50% through the streaming CheckpointPruner. */
    Path pruned(Path dense, LinearPruner p, String name) throws Exception {
        ModelConfig cfg = ModelConfig.read(dense);
        Path out = tmp.resolve(name);
        try (SafeTensors st = SafeTensors.open(dense)) {
            int[][] w = Generators.windows(new SplittableRandom(3), 4, 8, cfg.vocabSize());
            CheckpointPruner.run(dense, cfg, st, w, new SequentialPruner.Options(p, SparsityPlan.uniform(new Sparsity.Unstructured(0.5)),
                    ScalarKernels.INSTANCE, 0, Generators.QUIET), out, false, Map.of());
        }
        return out;
    }

    @Test
    void aPrunedCheckpointIsASubNetworkOfItsParentUnlessItReconstructs() throws Exception {
        ModelConfig cfg = uniform(5);
        Path dense = Files.createDirectories(tmp.resolve("dense"));
        cfg.write(dense.resolve(ModelConfig.FILE));
        SafeTensorsWriter.write(dense.resolve("model.safetensors"), Generators.tensors(cfg, new SplittableRandom(5)), Map.of());
        StructuredInvariants.subNetworkOfParent(dense, pruned(dense, Methods.magnitude(false), "magnitude"));
        StructuredInvariants.subNetworkOfParent(dense, pruned(dense, Methods.wanda(), "wanda"));
        InvariantViolation v = assertThrows(InvariantViolation.class,
                () -> StructuredInvariants.subNetworkOfParent(dense, pruned(dense, Methods.sparseGPT(ScalarKernels.INSTANCE, 1), "sparsegpt")));
        assertTrue(v.getMessage().contains("subnetwork: holds"), v.getMessage());
    }
}
