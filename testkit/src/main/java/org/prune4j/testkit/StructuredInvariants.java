package org.prune4j.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Plan;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.PlanMasking;
import org.prune4j.pruning.structured.StructuredWriter;
import org.prune4j.pruning.verify.CheckpointVerifier;
import org.prune4j.pruning.verify.VerifyReport;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.transformer.LlamaModel;

/** Invariants of structured pruning and of whole pruned checkpoints, as assertions that throw {@link InvariantViolation}. */
public final class StructuredInvariants {
    private StructuredInvariants() {}

    /**
     * A plan survives {@code roundTrip} (e.g. {@link #jsonRoundTrip}) equal, scores and all.
     *
     * @param plan the plan
     * @param roundTrip what writes the plan and reads it back
     */
    public static void planRoundTrips(Plan plan, UnaryOperator<Plan> roundTrip) {
        Plan back = roundTrip.apply(plan);
        if (!plan.equals(back))
            throw new InvariantViolation("plan-round-trip", "the plan read back differs: " + PlanJson.toJson(plan) + " became " + PlanJson.toJson(back));
    }

    /**
     * prune4j's own plan codec: {@link PlanJson#write} then {@link PlanJson#read}, through a file in {@code dir}.
     *
     * @param dir a scratch folder
     * @return the round trip
     */
    public static UnaryOperator<Plan> jsonRoundTrip(Path dir) {
        return p -> {
            try {
                Path f = Files.createTempFile(dir, "plan", ".json");
                PlanJson.write(p, f);
                return PlanJson.read(f);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /**
     * prune4j's remover: the plan applied by {@link StructuredWriter} to the model's tensors, written under {@code dir}, loaded back.
     *
     * @param dir a scratch folder
     * @return the removal
     */
    public static BiFunction<LlamaModel, Plan, LlamaModel> writer(Path dir) {
        return (m, plan) -> {
            try {
                Path src = Files.createTempDirectory(dir, "src"), out = Files.createTempDirectory(dir, "out");
                Files.delete(out);
                m.config().write(src.resolve(ModelConfig.FILE));
                StructuredWriter.write(src, m.config(), TensorSource.of(m.namedTensors()), plan, out, false, Map.of(), null);
                return LlamaModel.load(out, ScalarKernels.INSTANCE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }

    /**
     * Physical removal equals masking: the model {@code remove} builds from {@code m} and {@code plan} gives, bit
     * for bit, the logits of {@code m} with the removed heads and neurons multiplied by zero and the dropped layers
     * skipped. Exact on the scalar kernels (sums in double in index order, and a masked unit adds an exact zero).
     * Plans that keep every hidden channel and do not mean-pool KV heads (those have no masking equivalent).
      *
      * @param m the model
      * @param plan the plan
      * @param tokens token windows [batch][positions]
      * @param remove what physically removes the plan's units
     */
    public static void removalEqualsMasking(LlamaModel m, Plan plan, int[][] tokens, BiFunction<LlamaModel, Plan, LlamaModel> remove) {
        if (plan.hiddenSize() != m.config().hiddenSize() || plan.layers().stream().anyMatch(Plan.LayerPlan::meanPools))
            throw new IllegalArgumentException("removal equals masking only for plans that keep every channel and do not mean-pool");
        float[] want = PlanMasking.logits(m, plan, tokens), got = remove.apply(m, plan).logits(tokens).toFloatArray();
        if (want.length != got.length) throw new InvariantViolation("removal-equals-masking", "logits have " + got.length + " values, masking gives " + want.length);
        int v = m.config().vocabSize();
        for (int i = 0; i < want.length; i++)
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i]))
                throw new InvariantViolation("removal-equals-masking", "logit of token " + i % v + " at position " + i / v + " is " + got[i]
                        + " after removal, " + want[i] + " with the same units masked; plan " + PlanJson.toJson(plan));
    }

    /**
     * A pruned checkpoint is a sub-network of its parent: same shapes, tokenizer and untouched tensors, and every
     * surviving linear weight the parent's ({@code prune4j verify --expect-subnetwork}); for criteria without reconstruction.
      *
      * @param dense the parent model folder
      * @param pruned the pruned model folder
     */
    public static void subNetworkOfParent(Path dense, Path pruned) {
        VerifyReport r;
        try {
            r = CheckpointVerifier.verify(dense, pruned, new CheckpointVerifier.Options(null, null, null, true, 5));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!r.passed()) throw new InvariantViolation("sub-network-of-parent", r.violationCount() + " violations, the first: " + r.violations());
    }
}
