package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.GradCheck;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/** The training path on a model with per-layer shapes: gradients (head masks included) and observation points. */
class TrainingPathTest {
    @Test
    void lossGradientsMatchCentralDifferences() throws Exception {
        LlamaModel m = KvCacheTest.ragged();
        m.setHeadMasks(true, true);
        int[][] toks = KvCacheTest.tokens(2, 7, 61, 5);
        List<Var> vars = new ArrayList<>();
        vars.add(m.layer(1).headMask());
        vars.add(m.layer(0).weightVar(Linear.K));
        vars.add(m.layer(1).weightVar(Linear.V));
        vars.add(m.layer(2).weightVar(Linear.DOWN));
        vars.add(m.layer(0).biasVar(Linear.Q));
        vars.add(m.layer(2).inputNormVar());
        vars.add(m.parameters().get("model.embed_tokens.weight"));
        // the loss is O(1) and smooth; h = 1e-2 gives truncation ~1e-5 and F32 rounding / 2h ~ 1e-5 relative,
        // so 2e-3 of each parameter's largest gradient is a 100x margin that a wrong backward rule cannot meet
        for (GradCheck.Result r : GradCheck.check(ScalarKernels.INSTANCE, t -> m.loss(t, toks, Observer.NONE), vars, 1e-2f, 11, 40))
            assertTrue(r.relError() < 2e-3 && r.maxAbsGrad() > 0, r.toString());
    }

    @Test
    void observersSeeEveryLinearInputAndHeadOutput() throws Exception {
        LlamaModel m = KvCacheTest.ragged();
        int[][] toks = KvCacheTest.tokens(2, 5, 61, 6);
        List<String> seen = new ArrayList<>();
        Observer obs = new Observer() {
            @Override public void linearInput(int layer, Linear which, Tensor x) {
                assertArrayEquals(new int[] {10, m.layer(layer).weight(which).size(1)}, x.shape());
                seen.add(layer + which.name());
            }
            @Override public void headOutputs(int layer, Tensor perHead) {
                assertArrayEquals(new int[] {2, 5, m.layer(layer).numHeads(), 8}, perHead.shape());
                seen.add(layer + "heads");
            }
            @Override public void layerInput(int layer, Tensor h) { seen.add(layer + "in"); }
            @Override public void layerOutput(int layer, Tensor h) { seen.add(layer + "out"); }
        };
        m.logits(toks, obs);
        assertEquals(3 * 10, seen.size());
        // the training path calls the same hooks
        seen.clear();
        m.loss(new Tape(ScalarKernels.INSTANCE), toks, obs);
        assertEquals(3 * 10, seen.size());
    }

    @Test
    void aZeroHeadMaskEqualsZeroingThatHeadsOutputColumns() throws Exception {
        LlamaModel a = KvCacheTest.ragged(), b = KvCacheTest.ragged();
        int[][] toks = KvCacheTest.tokens(1, 6, 61, 8);
        a.setHeadMasks(true, false);
        a.layer(1).headMask().value().set(0f, 2);
        Tensor o = b.layer(1).weight(Linear.O).copy(); // [C, H*D]; head 2 reads columns 16..23
        o.narrow(1, 16, 8).fill(0f);
        b.layer(1).setWeight(Linear.O, o);
        assertTrue(GoldenTest.maxAbsDiff(a.logits(toks), b.logits(toks)) < 1e-5);
    }
}
