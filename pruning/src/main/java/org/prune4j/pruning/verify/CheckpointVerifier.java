package org.prune4j.pruning.verify;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.TensorInfo;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code prune4j verify}: checks a pruned checkpoint against its parent, whichever tool made it. Both folders are
 * memory-mapped and read one row at a time. The rules ({@link Rules}): config and tensor shapes agree; the tokenizer
 * is the parent's; tensors pruning leaves alone equal the parent's; claimed N:M patterns and sparsities hold; with
 * {@code expectSubnetwork} every surviving weight is the parent's; with a plan, every kept unit's weights are the
 * parent's. Claims come from the options, else from prune4j's safetensors metadata ({@code pruned_by}, {@code method},
 * {@code target}). A broken rule is a {@link Violation} in the report, never an exception; an unreadable folder is.
 */
public final class CheckpointVerifier {
    private CheckpointVerifier() {}

    /**
     * What to check beyond the rules that always apply. {@code plan}: a structured plan file; {@code expectNm} and
     * {@code expectSparsity}: claims (null: from the metadata, if any); {@code expectSubnetwork}: surviving weights
     * unchanged (null: true when the metadata names a criterion without reconstruction); {@code maxViolations}:
     * how many violations to keep in full.
     */
    public record Options(Path plan, org.prune4j.tensor.NM expectNm, Double expectSparsity, Boolean expectSubnetwork, int maxViolations) {
        /** The number of violations printed in full by default. */
        public static final int MAX_VIOLATIONS = 20;

        public Options {
            if (expectSparsity != null && !(expectSparsity >= 0 && expectSparsity < 1))
                throw new PruningException("expected sparsity must lie in [0, 1), got " + expectSparsity);
            if (maxViolations < 1) throw new PruningException("maxViolations must be >= 1, got " + maxViolations);
        }

        /** No plan, no claims beyond the metadata's. */
        public static Options defaults() {
            return new Options(null, null, null, null, MAX_VIOLATIONS);
        }
    }

    /** Unstructured criteria whose surviving weights are the parent's (SparseGPT reconstructs them). */
    static final Set<String> NO_RECONSTRUCTION = Set.of("magnitude", "wanda");

    private static final Pattern NM_TARGET = Pattern.compile("uniform (\\d+:\\d+)"), PCT_TARGET = Pattern.compile("uniform ([0-9.]+)%");

    /** Checks {@code pruned} against {@code dense} (model folders). */
    public static VerifyReport verify(Path dense, Path pruned, Options o) throws IOException {
        ModelConfig dc = ModelConfig.read(dense), pc = ModelConfig.read(pruned);
        Violations v = new Violations(o.maxViolations());
        List<String> checks = new ArrayList<>();
        try (SafeTensors ds = SafeTensors.open(dense); SafeTensors ps = SafeTensors.open(pruned)) {
            Map<String, String> meta = ps.metadata();
            boolean ours = "prune4j".equals(meta.get("pruned_by"));
            String target = ours ? meta.getOrDefault("target", "") : "";
            org.prune4j.tensor.NM nm = o.expectNm();
            String nmFrom = "--expect-nm";
            Matcher mm = NM_TARGET.matcher(target);
            if (nm == null && mm.matches()) { nm = Sparsity.parseNM(mm.group(1)).nm(); nmFrom = "safetensors metadata"; }
            Double sparsity = o.expectSparsity();
            String spFrom = "--expect-sparsity";
            Matcher mp = PCT_TARGET.matcher(target);
            if (sparsity == null && mp.matches()) { sparsity = Double.parseDouble(mp.group(1)) / 100; spFrom = "safetensors metadata"; }
            boolean subnetwork = o.expectSubnetwork() != null ? o.expectSubnetwork() : ours && NO_RECONSTRUCTION.contains(meta.get("method"));
            Plan plan = o.plan() == null ? null : PlanJson.read(o.plan());

            checks.add(TokenizerCheck.check(dense, pruned, v));
            boolean sourceOk = plan == null ? sameShapes(dc, pc, v) : planConfig(dc, pc, ds, plan, v);
            checks.add(plan == null ? "config (the parent's shapes)" : "config (the shapes plan " + o.plan().getFileName() + " implies), plan source");
            if (nm != null) checks.add("nm " + nm.label() + " (" + nmFrom + ")");
            if (sparsity != null) checks.add("sparsity >= rows x floor(cols x " + sparsity + ") per linear weight (" + spFrom + ")");
            if (plan != null) checks.add("kept units equal the parent's");
            else {
                checks.add("embeddings, norms, output head, biases unchanged");
                if (subnetwork) checks.add("surviving linear weights are the parent's" + (o.expectSubnetwork() == null ? " (method " + meta.get("method") + ")" : ""));
            }

            Map<String, int[]> expected = LlamaModel.expectedShapes(pc);
            long expectedParams = 0;
            for (int[] s : expected.values()) expectedParams += numel(s);
            for (TensorInfo t : ps.infos())
                if (!expected.containsKey(t.name()) && !ds.contains(t.name()))
                    v.add(t.name(), Rules.SHAPE, "not in the parent and not implied by " + pruned.resolve(ModelConfig.FILE));
            List<VerifyReport.TensorStat> linears = new ArrayList<>();
            for (Map.Entry<String, int[]> e : expected.entrySet()) {
                String name = e.getKey();
                if (!ps.contains(name)) {
                    v.add(name, Rules.SHAPE, "missing (config.json implies shape " + Arrays.toString(e.getValue()) + ")");
                    continue;
                }
                Tensor p = ps.get(name);
                if (!Arrays.equals(p.shape(), e.getValue())) {
                    v.add(name, Rules.SHAPE, "has shape " + Arrays.toString(p.shape()) + ", config.json implies " + Arrays.toString(e.getValue()));
                    continue;
                }
                int layer = linearLayer(name);
                if (layer >= 0)
                    linears.add(new VerifyReport.TensorStat(name, layer, p.size(0), p.size(1), LinearRules.check(name, p, nm, sparsity, v)));
                if (!sourceOk) continue;
                if (plan != null) {
                    PlanMap.Source s = PlanMap.of(name, p.shape(), dc, plan);
                    if (s == null || !ds.contains(s.name())) { v.add(name, Rules.KEPT_UNIT, "the plan names no parent tensor for it"); continue; }
                    Compare.check(name, ds.get(s.name()), p, s.rows(), s.cols(), false, Rules.KEPT_UNIT, v);
                } else if (ds.contains(name) && Arrays.equals(ds.get(name).shape(), p.shape())) {
                    if (layer < 0) Compare.check(name, ds.get(name), p, Compare.identity(p.rank() == 0 ? 0 : p.size(0)), null, false, Rules.UNCHANGED, v);
                    else if (subnetwork) Compare.check(name, ds.get(name), p, Compare.identity(p.size(0)), null, true, Rules.SUBNETWORK, v);
                }
            }
            long denseParams = 0, prunedParams = 0;
            for (TensorInfo t : ds.infos()) denseParams += t.numel();
            for (TensorInfo t : ps.infos()) prunedParams += t.numel();
            return new VerifyReport(dense.toString(), pruned.toString(), checks, linears, denseParams, prunedParams, expectedParams,
                    plan == null ? null : structure(dc, plan), v.first(), v.counts(), v.total());
        }
    }

    /** Without a plan the pruned model must have its parent's shapes. */
    private static boolean sameShapes(ModelConfig dc, ModelConfig pc, Violations v) {
        String file = pc.source() == null ? ModelConfig.FILE : pc.source().toString();
        int before = (int) v.total();
        same(file, "hidden_size", dc.hiddenSize(), pc.hiddenSize(), v);
        same(file, "vocab_size", dc.vocabSize(), pc.vocabSize(), v);
        same(file, "num_hidden_layers", dc.numLayers(), pc.numLayers(), v);
        same(file, "head_dim", dc.headDim(), pc.headDim(), v);
        if (dc.tieWordEmbeddings() != pc.tieWordEmbeddings())
            v.add(file, Rules.CONFIG, "tie_word_embeddings is " + pc.tieWordEmbeddings() + ", the parent's " + dc.tieWordEmbeddings());
        for (int l = 0; l < Math.min(dc.numLayers(), pc.numLayers()); l++) {
            same(file, "layer " + l + " num_attention_heads", dc.numHeads(l), pc.numHeads(l), v);
            same(file, "layer " + l + " num_key_value_heads", dc.numKvHeads(l), pc.numKvHeads(l), v);
            same(file, "layer " + l + " intermediate_size", dc.intermediateSize(l), pc.intermediateSize(l), v);
        }
        boolean ok = v.total() == before;
        if (!ok) v.add(file, Rules.CONFIG, "shapes differ from the parent's: a structurally pruned checkpoint is verified with --plan FILE");
        return ok;
    }

    private static void same(String file, String key, int want, int got, Violations v) {
        if (want != got) v.add(file, Rules.CONFIG, key + " is " + got + ", the parent's " + want);
    }

    /** With a plan: the plan is the parent's, and the pruned config has the shapes the plan implies. */
    private static boolean planConfig(ModelConfig dc, ModelConfig pc, SafeTensors ds, Plan plan, Violations v) throws IOException {
        Plan.Source here = Planner.source(dc, Fingerprint.of(TensorSource.of(ds)));
        if (!here.equals(plan.source())) {
            v.add(ds.path().toString(), Rules.PLAN_SOURCE, "the plan was made for another model (fingerprint " + plan.source().fingerprint()
                    + ", this parent's " + here.fingerprint() + ")");
            return false;
        }
        String file = pc.source() == null ? ModelConfig.FILE : pc.source().toString();
        long before = v.total();
        same(file, "hidden_size", plan.hiddenSize(), pc.hiddenSize(), v);
        same(file, "vocab_size", dc.vocabSize(), pc.vocabSize(), v);
        same(file, "head_dim", dc.headDim(), pc.headDim(), v);
        same(file, "num_hidden_layers", plan.numLayers(), pc.numLayers(), v);
        for (int i = 0; i < Math.min(plan.numLayers(), pc.numLayers()); i++) {
            Plan.LayerPlan p = plan.layers().get(i);
            same(file, "layer " + i + " num_attention_heads", p.numHeads(), pc.numHeads(i), v);
            same(file, "layer " + i + " num_key_value_heads", p.numKvHeads(), pc.numKvHeads(i), v);
            same(file, "layer " + i + " intermediate_size", p.intermediateSize(), pc.intermediateSize(i), v);
        }
        return v.total() == before;
    }

    private static VerifyReport.Structure structure(ModelConfig dc, Plan plan) {
        List<VerifyReport.LayerChange> layers = new ArrayList<>();
        for (int i = 0; i < plan.numLayers(); i++) {
            Plan.LayerPlan p = plan.layers().get(i);
            int l = p.source();
            layers.add(new VerifyReport.LayerChange(l, i, PlanMap.removed(p.heads(), dc.numHeads(l)), dc.numHeads(l), p.kv(), dc.numKvHeads(l),
                    p.intermediateSize(), dc.intermediateSize(l)));
        }
        return new VerifyReport.Structure(PlanMap.removedLayers(plan), plan.hiddenSize(), dc.hiddenSize(), layers);
    }

    /** The decoder layer of a linear weight "model.layers.L.{self_attn,mlp}.X_proj.weight", else -1. */
    static int linearLayer(String name) {
        if (!name.startsWith("model.layers.") || !name.endsWith(".weight")) return -1;
        int dot = name.indexOf('.', "model.layers.".length());
        if (dot < 0) return -1;
        String rest = name.substring(dot + 1);
        for (Linear l : Linear.values())
            if (rest.equals(l.suffix() + ".weight")) {
                try {
                    return Integer.parseInt(name.substring("model.layers.".length(), dot));
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        return -1;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int s : shape) n *= s;
        return n;
    }
}
