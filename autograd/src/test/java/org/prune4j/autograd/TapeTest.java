package org.prune4j.autograd;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/** The tape's bookkeeping: accumulation, frozen parameters, no-grad scopes, release after backward. */
class TapeTest {
    static final Kernels K = ScalarKernels.INSTANCE;

    @Test
    void gradientsAccumulateAcrossBackwardCallsUntilZeroed() {
        Var w = Var.param(Tensor.of(new float[] {1, 2, 3}, 3), "w");
        for (int step = 1; step <= 2; step++) {
            Tape t = new Tape(K);
            t.backward(t.sumAll(t.scale(w, 2f)));
            assertArrayEquals(new float[] {2f * step, 2f * step, 2f * step}, w.grad().toFloatArray());
        }
        w.zeroGrad();
        assertNull(w.grad());
    }

    @Test
    void sharedGradientIsCopiedBeforeInPlaceAdds() {
        // y = x + x: both contributions are the same dy tensor; adding the second must not corrupt the first
        Var x = Var.param(Tensor.of(new float[] {1, 2}, 2), "x");
        Tape t = new Tape(K);
        Var y = t.add(x, x);
        Tensor seed = Tensor.of(new float[] {1, 10}, 2);
        t.backward(y, seed);
        assertArrayEquals(new float[] {2, 20}, x.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 10}, seed.toFloatArray(), "the seed itself is untouched");
        assertTrue(x.grad().isDenseArray());
    }

    @Test
    void frozenParametersGetNoGradientAndRecordNothing() {
        Var w = Var.param(Tensor.randn(1, 1, 3, 3), "w").setFrozen(true);
        Var x = Var.constant(Tensor.randn(2, 1, 2, 3));
        Tape t = new Tape(K);
        Var y = t.linear(x, w, null);
        assertEquals(0, t.size());
        assertFalse(y.requiresGrad());
        t.backward(t.sumAll(y));
        assertNull(w.grad());
    }

    @Test
    void noGradScopesNestAndStopRecording() {
        Var w = Var.param(Tensor.randn(1, 1, 4), "w");
        Tape t = new Tape(K);
        try (var outer = t.noGrad()) {
            try (var inner = t.noGrad()) {
                t.scale(w, 2f);
            }
            assertFalse(t.isRecording());
            t.scale(w, 2f);
        }
        assertEquals(0, t.size());
        assertTrue(t.isRecording());
        t.scale(w, 2f);
        assertEquals(1, t.size());
        assertFalse(Tape.inference(K).isRecording());
    }

    @Test
    void backwardReleasesTheTapeAndIntermediateGradients() {
        Var w = Var.param(Tensor.randn(1, 1, 4), "w");
        Tape t = new Tape(K);
        Var h = t.silu(w);
        Var kept = t.scale(h, 3f).retainGrad();
        Var loss = t.sumAll(t.mul(kept, kept));
        assertTrue(t.size() > 0);
        t.backward(loss);
        assertEquals(0, t.size());
        assertNull(h.grad(), "intermediate gradients are dropped");
        assertNotNull(kept.grad(), "retained gradients stay");
        assertArrayEquals(K.scale(kept.value(), 2f).toFloatArray(), kept.grad().toFloatArray(), 1e-6f);
    }

    @Test
    void headMaskGradientIsTheHeadImportance() {
        // loss = sum over a head's outputs; d/dxi_h = sum of that head's outputs (Michel et al.'s score before |.|)
        Tensor perHead = Tensor.randn(3, 1, 2, 3, 4, 2);
        Var x = Var.constant(perHead);
        Var xi = Var.param(Tensor.full(1f, 4), "xi");
        Tape t = new Tape(K);
        t.backward(t.sumAll(t.headMask(x, xi)));
        for (int h = 0; h < 4; h++) {
            double s = 0;
            for (int b = 0; b < 2; b++) for (int tt = 0; tt < 3; tt++) for (int d = 0; d < 2; d++) s += perHead.get(b, tt, h, d);
            assertEquals(s, xi.grad().get(h), 1e-5);
        }
    }

    @Test
    void fusedAttentionEqualsTheComposedOps() {
        // repeatKv + q k^T + causal mask + softmax + @ v, gradients included, against the fused op
        Var q = Var.param(Tensor.randn(5, 1, 2, 3, 6, 4), "q");
        Var k = Var.param(Tensor.randn(6, 1, 2, 5, 2, 4), "k");
        Var v = Var.param(Tensor.randn(7, 1, 2, 5, 2, 4), "v");
        Tensor seed = Tensor.randn(8, 1, 2, 3, 6, 4);
        float scale = 0.5f;

        Tape t = new Tape(K);
        Var fused = t.attention(q, k, v, scale, true);
        t.backward(fused, seed);
        float[] gq = q.grad().toFloatArray(), gk = k.grad().toFloatArray(), gv = v.grad().toFloatArray();
        q.zeroGrad(); k.zeroGrad(); v.zeroGrad();

        Var qh = t.permute(q, 0, 2, 1, 3);                       // [B, H, T, D]
        Var kh = t.permute(t.repeatKv(k, 3), 0, 2, 1, 3);         // [B, H, S, D]
        Var vh = t.permute(t.repeatKv(v, 3), 0, 2, 1, 3);
        Var p = t.softmax(t.causalMask(t.scale(t.matmul(qh, t.transpose(kh, 2, 3)), scale)));
        Var composed = t.permute(t.matmul(p, vh), 0, 2, 1, 3);  // [B, T, H, D]
        t.backward(composed, seed);

        assertArrayEquals(composed.value().toFloatArray(), fused.value().toFloatArray(), 1e-5f);
        assertArrayEquals(q.grad().toFloatArray(), gq, 1e-5f);
        assertArrayEquals(k.grad().toFloatArray(), gk, 1e-5f);
        assertArrayEquals(v.grad().toFloatArray(), gv, 1e-5f);
    }

    @Test
    void crossEntropyMatchesTheDefinition() {
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 0, 0, 0}, 2, 3);
        Tape t = new Tape(K);
        Var loss = t.crossEntropy(Var.constant(logits), new int[] {2, 0}, -100);
        double l0 = -(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3))), l1 = Math.log(3);
        assertEquals((l0 + l1) / 2, loss.value().item(), 1e-6);
        assertTrue(Float.isNaN(t.crossEntropy(Var.constant(logits), new int[] {-100, -100}, -100).value().item()));
    }

    @Test
    void klDivergenceMatchesTheDefinition() {
        Tensor s = Tensor.of(new float[] {0.5f, -1f, 2f, 1f, 1f, 0f}, 2, 3), tch = Tensor.of(new float[] {1f, 0f, 1f, -2f, 0.5f, 3f}, 2, 3);
        float tau = 2f;
        double want = 0;
        for (int r = 0; r < 2; r++) {
            double zs = 0, zt = 0;
            for (int j = 0; j < 3; j++) {
                zs += Math.exp(s.get(r, j) / tau);
                zt += Math.exp(tch.get(r, j) / tau);
            }
            for (int j = 0; j < 3; j++) {
                double pt = Math.exp(tch.get(r, j) / tau) / zt, ps = Math.exp(s.get(r, j) / tau) / zs;
                want += pt * Math.log(pt / ps);
            }
        }
        want = tau * tau * want / 2;
        Tape t = new Tape(K);
        assertEquals(want, t.klDivergence(Var.constant(s), tch, tau).value().item(), 1e-6);
        assertEquals(0.0, t.klDivergence(Var.constant(tch), tch, tau).value().item(), 1e-7);
    }
}
