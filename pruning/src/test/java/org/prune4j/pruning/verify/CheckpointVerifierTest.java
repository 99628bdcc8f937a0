package org.prune4j.pruning.verify;

import static org.junit.jupiter.api.Assertions.*;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.MagnitudeUnits;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredWriter;
import org.prune4j.pruning.structured.Targets;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * verify on structured outputs without ../shared: a random BF16 Qwen2-style model (q/k/v bias, untied head) whose
 * heads, KV heads (mean-pooled), neurons, hidden channels and one layer are all removed, so every row and column map
 * of the plan (embedding and head columns, o_proj columns, pooled k/v rows rounded to BF16, biases) is exercised.
 */
class CheckpointVerifierTest {
    @TempDir Path tmp;

    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    Path parent() throws Exception {
        ModelConfig cfg = ModelConfig.builder("Qwen2ForCausalLM").hiddenSize(16).numLayers(3).numHeads(4).numKvHeads(2).headDim(4)
                .intermediateSize(12).vocabSize(23).tieWordEmbeddings(false).maxPositionEmbeddings(64).attentionBias(true).build();
        SplittableRandom r = new SplittableRandom(11);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : LlamaModel.expectedShapes(cfg).entrySet())
            t.put(e.getKey(), Tensor.randn(r.nextLong(), 0.3f, e.getValue()).to(DType.BF16, Arena.ofAuto()));
        Path dir = Files.createDirectories(tmp.resolve("dense"));
        cfg.write(dir.resolve(ModelConfig.FILE));
        SafeTensorsWriter.write(dir.resolve("model.safetensors"), t, Map.of());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 64}");
        return dir;
    }

    Path structured(Path dense, Path planFile) throws Exception {
        ModelConfig cfg = ModelConfig.read(dense);
        try (SafeTensors st = SafeTensors.open(dense)) {
            TensorSource src = TensorSource.of(st);
            LlamaModel m = LlamaModel.load(st, cfg, ScalarKernels.INSTANCE);
            Targets t = Targets.parse(List.of("num_attention_heads=2", "num_key_value_heads=1", "intermediate_size=8", "hidden_size=12", "num_hidden_layers=2"));
            var kinds = t.kinds(false, false);
            var scores = new MagnitudeUnits().score(new ScoringInput(m, null, 1, null, null, 0, Map.of(), QUIET), kinds);
            Plan plan = Planner.plan(cfg, Fingerprint.of(src), t, scores, "magnitude", Planner.Options.DEFAULT);
            PlanJson.write(plan, planFile);
            Path out = tmp.resolve("pruned");
            StructuredWriter.write(dense, cfg, src, plan, out, false, Map.of(), null);
            return out;
        }
    }

    @Test
    void everyPlanMapHoldsOnTheWritersOutputAndAnAlteredValueIsNamed() throws Exception {
        Path dense = parent(), planFile = tmp.resolve("plan.json"), out = structured(dense, planFile);
        CheckpointVerifier.Options o = new CheckpointVerifier.Options(planFile, null, null, null, 20);
        VerifyReport ok = CheckpointVerifier.verify(dense, out, o);
        assertTrue(ok.passed(), ok.text());
        assertEquals(1, ok.structure().removedLayers().size());
        assertEquals(12, ok.structure().channelsKept());
        assertEquals(2, ok.structure().layers().getFirst().removedHeads().length);
        assertEquals(ok.expectedParams(), ok.prunedParams());

        // each tensor kind in turn: alter one stored value, and verify must name exactly that tensor and position
        String[] names = {"model.embed_tokens.weight", "lm_head.weight", "model.layers.1.self_attn.o_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                "model.layers.0.self_attn.v_proj.bias", "model.layers.1.input_layernorm.weight", "model.norm.weight"};
        for (String name : names) {
            Path bad = tmp.resolve("bad-" + name);
            Files.createDirectories(bad);
            Files.copy(out.resolve(ModelConfig.FILE), bad.resolve(ModelConfig.FILE));
            Files.copy(out.resolve("tokenizer_config.json"), bad.resolve("tokenizer_config.json"));
            Map<String, Tensor> t = new LinkedHashMap<>();
            try (SafeTensors st = SafeTensors.open(out)) {
                for (var i : st.infos()) t.put(i.name(), st.get(i.name()).to(DType.BF16, Arena.ofAuto()));
            }
            Tensor w = t.get(name);
            long flat = w.numel() / 2;
            int[] at = w.rank() == 1 ? new int[] {(int) flat} : new int[] {(int) (flat / w.size(1)), (int) (flat % w.size(1))};
            w.set(w.getFlat(flat) + 1f, at);
            SafeTensorsWriter.write(bad.resolve("model.safetensors"), t, Map.of());
            VerifyReport r = CheckpointVerifier.verify(dense, bad, o);
            assertEquals(1, r.violationCount(), r.text());
            Violation v = r.violations().getFirst();
            assertEquals(name, v.tensor());
            assertEquals(Rules.KEPT_UNIT, v.rule());
            assertEquals(at[0], v.row());
            assertEquals(at.length == 1 ? -1 : at[1], v.col());
        }
    }

    @Test
    void aPlanForAnotherParentIsAViolationNotAnException() throws Exception {
        Path dense = parent(), planFile = tmp.resolve("plan.json"), out = structured(dense, planFile);
        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.copy(dense.resolve(ModelConfig.FILE), other.resolve(ModelConfig.FILE));
        Map<String, Tensor> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(dense)) {
            for (var i : st.infos()) t.put(i.name(), st.get(i.name()).toF32());
        }
        t.get("model.norm.weight").set(5f, 0);
        SafeTensorsWriter.write(other.resolve("model.safetensors"), t, Map.of());
        VerifyReport r = CheckpointVerifier.verify(other, out, new CheckpointVerifier.Options(planFile, null, null, null, 20));
        assertFalse(r.passed());
        assertEquals(Rules.PLAN_SOURCE, r.violations().stream().filter(v -> !v.rule().equals(Rules.TOKENIZER)).findFirst().orElseThrow().rule(), r.text());
    }
}
