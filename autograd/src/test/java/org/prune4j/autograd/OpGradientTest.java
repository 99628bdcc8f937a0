package org.prune4j.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/**
 * Every op's backward against central differences ({@link GradCheck}) on the scalar oracle, whose kernels
 * accumulate in double and round each result to F32 once.
 *
 * <p>Tolerance: inputs are O(1), h = 1e-2. Truncation error is about h^2/6 |f'''| ~ 2e-5, and the F32 rounding of
 * the projected loss (relative 6e-8 of a sum of at most a few hundred O(1) terms) divided by 2h adds about 1e-5..1e-4.
 * So a correct backward shows relative errors around 1e-5..1e-4; 2e-3 leaves a 10x margin while any wrong rule
 * (a missing factor, a transposed operand, a lost broadcast sum) errs by O(1).
 */
class OpGradientTest {
    static final Kernels K = ScalarKernels.INSTANCE;
    static final double TOL = 2e-3;
    static final float H = 1e-2f;
    private long seed = 1;

    Var param(float std, int... shape) {
        return Var.param(Tensor.randn(seed++, std, shape), "p" + seed);
    }

    Var positive(int... shape) {
        return Var.param(Tensor.uniform(seed++, 0.5f, 2f, shape), "pos" + seed);
    }

    static void check(Function<Tape, Var> f, Var... inputs) {
        List<GradCheck.Result> rs = GradCheck.check(K, f, List.of(inputs), H, 42, 400);
        assertTrue(!rs.isEmpty());
        for (GradCheck.Result r : rs) assertTrue(r.relError() < TOL && r.maxAbsGrad() > 0, r.toString());
    }

    @Test void matmul() {
        Var a = param(1, 2, 3, 4), b = param(1, 4, 5);
        check(t -> t.matmul(a, b), a, b);
        Var c = param(1, 1, 3, 4), d = param(1, 2, 4, 5); // broadcast batch dims
        check(t -> t.matmul(c, d), c, d);
    }

    @Test void linearWithBias() {
        Var x = param(1, 2, 3, 4), w = param(1, 5, 4), b = param(1, 5);
        check(t -> t.linear(x, w, b), x, w, b);
        check(t -> t.linear(x, w, null), x, w);
    }

    @Test void arithmeticWithBroadcasting() {
        Var a = param(1, 2, 3, 4), b = param(1, 3, 1), c = positive(4);
        check(t -> t.add(a, b), a, b);
        check(t -> t.sub(b, a), a, b);
        check(t -> t.mul(a, b), a, b);
        check(t -> t.div(a, c), a, c);
        check(t -> t.scale(t.addScalar(a, 0.5f), -1.5f), a);
        check(t -> t.mul(a, a), a); // one input used twice: contributions must add
    }

    @Test void activations() {
        Var x = param(2, 3, 7), g = param(2, 3, 7), u = param(1, 3, 7);
        check(t -> t.silu(x), x);
        check(t -> t.swiglu(g, u), g, u);
    }

    @Test void rmsNorm() {
        Var x = param(1, 2, 3, 8), w = param(1, 8);
        check(t -> t.rmsNorm(x, w, 1e-5f), x, w);
        check(t -> t.rmsNorm(x, null, 1e-6f), x);
    }

    @Test void softmaxes() {
        Var x = param(1, 3, 6);
        check(t -> t.softmax(x), x);
        check(t -> t.logSoftmax(x), x);
    }

    @Test void rope() {
        int tt = 3, d = 6;
        float[] c = new float[tt * d / 2], s = new float[tt * d / 2];
        for (int p = 0; p < tt; p++)
            for (int i = 0; i < d / 2; i++) {
                double ang = (p + 1) * Math.pow(10000, -2.0 * i / d);
                c[p * d / 2 + i] = (float) Math.cos(ang);
                s[p * d / 2 + i] = (float) Math.sin(ang);
            }
        Tensor cos = Tensor.of(c, tt, d / 2), sin = Tensor.of(s, tt, d / 2);
        Var x = param(1, 2, tt, 2, d);
        check(t -> t.rope(x, cos, sin, false), x);
        check(t -> t.rope(x, cos, sin, true), x);
    }

    @Test void embeddingScatterAddsRepeatedIds() {
        Var table = param(1, 7, 4);
        int[] ids = {3, 0, 3, 6, 3};
        check(t -> t.embedding(table, ids), table);
    }

    @Test void views() {
        Var x = param(1, 2, 3, 4);
        check(t -> t.reshape(x, 4, 6), x);
        check(t -> t.transpose(x, 0, 2), x);
        check(t -> t.permute(x, 2, 0, 1), x);
        check(t -> t.contiguous(t.permute(x, 1, 2, 0)), x);
        // overlapping views of one input: the gradient sums where they overlap
        check(t -> t.concat(1, t.narrow(x, 1, 0, 2), t.slice(x, 1, 1, 3, 1), t.reshape(t.select(x, 1, 2), 2, 1, 4)), x);
        check(t -> t.slice(x, 2, 0, 4, 2), x);
        Var y = param(1, 2, 2, 4);
        check(t -> t.concat(1, x, y), x, y);
    }

    @Test void reductions() {
        Var x = param(1, 2, 3, 4);
        check(t -> t.sum(x, 1, false), x);
        check(t -> t.mean(x, -1, true), x);
        check(t -> t.sumAll(x), x);
        check(t -> t.meanAll(t.mul(x, x)), x);
    }

    @Test void repeatKvAndCausalMaskComposeIntoAttention() {
        Var kv = param(1, 2, 5, 2, 3);
        check(t -> t.repeatKv(kv, 3), kv);
        Var s = param(1, 2, 3, 5);
        check(t -> t.softmax(t.causalMask(s)), s);
    }

    @Test void fusedAttention() {
        for (boolean causal : new boolean[] {true, false}) {
            Var q = param(1, 2, 3, 4, 2), k = param(1, 2, 5, 2, 2), v = param(1, 2, 5, 2, 2); // GQA: 4 heads on 2
            check(t -> t.attention(q, k, v, 0.7f, causal), q, k, v);
            Var qm = param(1, 1, 4, 3, 2), km = param(1, 1, 4, 1, 2), vm = param(1, 1, 4, 1, 2); // MQA, T = S
            check(t -> t.attention(qm, km, vm, 0.7f, causal), qm, km, vm);
        }
    }

    @Test void headMask() {
        Var x = param(1, 2, 3, 4, 2), xi = param(1, 4);
        check(t -> t.headMask(x, xi), x, xi);
    }

    @Test void knockoffGate() {
        Var x = param(1, 2, 3, 6), xt = param(2, 2, 3, 6);
        Var perUnit = param(3, 6), perHead = param(4, 2);               // 6 gates of 1 entry; 2 gates of 3 entries
        check(t -> t.knockoffGate(x, xt, perUnit, 1), x, xt, perUnit);
        check(t -> t.knockoffGate(x, xt, perHead, 3), x, xt, perHead);
    }

    @Test void crossEntropyIgnoresMaskedRows() {
        Var logits = param(2, 5, 7);
        int[] targets = {1, -100, 6, 0, 1};
        check(t -> t.crossEntropy(logits, targets, -100), logits);
    }

    @Test void klDivergence() {
        Var s = param(2, 4, 6);
        Tensor teacher = Tensor.randn(99, 2, 4, 6);
        check(t -> t.klDivergence(s, teacher, 2f), s);
        check(t -> t.klDivergence(s, teacher, 1f), s);
    }

    @Test
    void broadcastGradientsForRandomShapes() {
        // b takes a's shape [2, 3, 4] with a random subset of dims set to 1 and a random number of leading dims dropped;
        // b in [1, 2]: the truncation error of the difference quotient of a/b grows as 1/b^4 and sums over broadcast dims
        qt().withExamples(30).forAll(integers().between(0, 7), integers().between(0, 2), integers().between(0, 1000))
                .checkAssert((ones, drop, s) -> {
                    int[] full = {2, 3, 4};
                    int[] bs = new int[3 - drop];
                    for (int i = drop; i < 3; i++) bs[i - drop] = (ones >> i & 1) == 1 ? 1 : full[i];
                    Var a = Var.param(Tensor.randn(s, 1f, full), "a"), b = Var.param(Tensor.uniform(s + 1, 1f, 2f, bs), "b");
                    // b's gradient sums up to 24 O(1) terms r_i (a_i - a_i / b^2) that can cancel to ~1e-4 (exhaustive scan:
                    // seed 557 with b a scalar), while the difference quotient's truncation error h^2 sum r_i a_i / b^4 stays
                    // ~1e-4 in absolute terms; so the error is measured against max(max|grad|, 1), the scale of the summands.
                    // A wrong rule (a missing broadcast sum) errs by O(1) on that scale too.
                    for (GradCheck.Result r : GradCheck.check(K, t -> t.add(t.mul(a, b), t.div(a, b)), List.of(a, b), H, 42, 400))
                        assertTrue(r.maxAbsError() < TOL * Math.max(r.maxAbsGrad(), 1), r.toString());
                });
    }
}
