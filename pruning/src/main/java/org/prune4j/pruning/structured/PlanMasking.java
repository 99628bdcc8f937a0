package org.prune4j.pruning.structured;

import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Intervention;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * What a plan does, without removing anything: the unpruned model's logits with the plan's removed heads and
 * neurons multiplied by zero and its dropped layers skipped. The oracle that physical removal must equal
 * (EquivalenceTest, the testkit's removal-equals-masking); channels and mean-pooling have no such mask.
 */
public final class PlanMasking {
    private PlanMasking() {}

    /** Logits [B * T * V] of {@code m} on {@code tokens} [B][T] with {@code plan}'s removed units masked. */
    public static float[] logits(LlamaModel m, Plan plan, int[][] tokens) {
        int n = m.numLayers();
        float[][] headMask = new float[n][], neuronMask = new float[n][];
        boolean[] kept = new boolean[n];
        for (Plan.LayerPlan p : plan.layers()) {
            kept[p.source()] = true;
            headMask[p.source()] = new float[m.layer(p.source()).numHeads()];
            for (int h : p.heads()) headMask[p.source()][h] = 1;
            neuronMask[p.source()] = new float[m.layer(p.source()).intermediateSize()];
            for (int i : p.neurons()) neuronMask[p.source()][i] = 1;
        }
        m.setIntervention(new Intervention() {
            @Override public Var headOutputs(Tape tape, int layer, Var perHead) {
                return tape.headMask(perHead, Var.constant(Tensor.of(headMask[layer], headMask[layer].length)));
            }

            @Override public Var neurons(Tape tape, int layer, Var act) {
                return tape.mul(act, Var.constant(Tensor.of(neuronMask[layer], neuronMask[layer].length)));
            }
        });
        try {
            Tape tape = Tape.inference(m.kernels());
            Var h = m.embed(tape, tokens);
            for (int l = 0; l < n; l++) if (kept[l]) h = m.forwardLayer(tape, l, h, 0, Observer.NONE);
            return m.head(tape, h).value().toFloatArray();
        } finally {
            m.setIntervention(null);
        }
    }
}
