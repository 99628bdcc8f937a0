package org.prune4j.pruning.structured.gradient;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Tape;
import org.prune4j.pruning.structured.Progress;
import org.prune4j.pruning.structured.RankStats;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Michel et al.'s head importance: ∂L_b/∂ξ against central differences of the batch loss in ξ (the error budget of
 * {@link TaylorTest}: within 2e-3 of the largest |∂L_b/∂ξ| of the batch per head and batch, summed over batches), the
 * per-layer normalisation, iterative removal, and the symmetry that relabelling heads relabels their scores.
 */
class MichelTest {
    static double batchLoss(LlamaModel m, int[][] b) {
        return m.loss(Tape.inference(m.kernels()), b, Observer.NONE).value().item();
    }

    @Test
    void headMaskGradientsMatchFiniteDifferencesAndLayersAreL2Normalised() {
        for (int kind = 0; kind < 3; kind++) {
            LlamaModel m = TinyModels.model(kind, 60 + kind);
            int[][] w = TinyModels.windows(5, 6, 3 + kind);
            int batch = 2;
            Michel.Result r = Michel.score(m, w, batch, Progress.NONE);
            assertNull(m.layer(0).headMask(), "masks are off again");
            double[][] want = new double[2][4], bound = new double[2][4];
            m.setHeadMasks(true, false);
            float h = 1e-2f;
            for (int s = 0; s < w.length; s += batch) {
                int[][] b = Arrays.copyOfRange(w, s, Math.min(w.length, s + batch));
                double[][] fd = new double[2][4];
                double mx = 0;
                for (int l = 0; l < 2; l++)
                    for (int head = 0; head < 4; head++) {
                        float[] xi = {1, 1, 1, 1};
                        xi[head] = 1 + h;
                        m.layer(l).headMask().setValue(Tensor.of(xi.clone(), 4));
                        double lp = batchLoss(m, b);
                        xi[head] = 1 - h;
                        m.layer(l).headMask().setValue(Tensor.of(xi.clone(), 4));
                        double lm = batchLoss(m, b);
                        m.layer(l).headMask().setValue(Tensor.full(1f, 4));
                        fd[l][head] = (lp - lm) / (2.0 * h);
                        mx = Math.max(mx, Math.abs(fd[l][head]));
                    }
                for (int l = 0; l < 2; l++)
                    for (int head = 0; head < 4; head++) {
                        want[l][head] += Math.abs(fd[l][head]);
                        bound[l][head] += 2e-3 * mx;
                    }
            }
            m.setHeadMasks(false, false);
            for (int l = 0; l < 2; l++) {
                double ss = 0;
                for (int head = 0; head < 4; head++) {
                    assertEquals(want[l][head], r.raw()[l][head], bound[l][head], "kind " + kind + " layer " + l + " head " + head);
                    ss += r.raw()[l][head] * r.raw()[l][head];
                }
                double norm = 0;
                for (int head = 0; head < 4; head++) {
                    assertEquals(r.raw()[l][head] / Math.sqrt(ss), r.normalized()[l][head], 1e-15);
                    norm += r.normalized()[l][head] * r.normalized()[l][head];
                }
                assertEquals(1, norm, 1e-12, "each layer's scores have unit L2 norm");
            }
        }
    }

    /** Relabels the heads of layer l by perm (new head i = old head perm[i]): q rows, o columns, and k/v rows under MHA. */
    static void permuteHeads(LlamaModel m, int l, int[] perm) {
        int d = m.config().headDim();
        boolean mha = m.layer(l).numHeads() == m.layer(l).numKvHeads();
        for (Linear lin : mha ? new Linear[] {Linear.Q, Linear.K, Linear.V} : new Linear[] {Linear.Q}) {
            Tensor wt = m.layer(l).weight(lin);
            int c = wt.size(1);
            float[] a = wt.toFloatArray(), b = new float[a.length];
            for (int i = 0; i < perm.length; i++) System.arraycopy(a, perm[i] * d * c, b, i * d * c, d * c);
            m.layer(l).setWeight(lin, Tensor.of(b, wt.shape()));
            if (m.layer(l).bias(lin) != null) {
                float[] ba = m.layer(l).bias(lin).toFloatArray(), bb = new float[ba.length];
                for (int i = 0; i < perm.length; i++) System.arraycopy(ba, perm[i] * d, bb, i * d, d);
                m.layer(l).setBias(lin, Tensor.of(bb, ba.length));
            }
        }
        Tensor o = m.layer(l).weight(Linear.O);
        int rows = o.size(0), cols = o.size(1);
        float[] a = o.toFloatArray(), b = new float[a.length];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < perm.length; i++) System.arraycopy(a, r * cols + perm[i] * d, b, r * cols + i * d, d);
        m.layer(l).setWeight(Linear.O, Tensor.of(b, o.shape()));
    }

    /** A random permutation of 4 heads that keeps each head in its KV group (any permutation under MHA). */
    static int[] perm(long seed, boolean mha, int groups) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] p = {0, 1, 2, 3};
        int block = mha ? 4 : 4 / groups;
        for (int s = 0; s < 4; s += block)
            for (int i = s + block - 1; i > s; i--) {
                int j = s + r.nextInt(i - s + 1), t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        return p;
    }

    /**
     * Relabelling heads computes the same function, so each head keeps its score under its new label (michel and
     * every taylor head score). The kernels accumulate in double and round once per op, so the two runs differ by
     * F32 roundings of the same values: 1e-4 of the row's largest score is a wide margin over the ~1e-6 seen.
     */
    @Test
    void permutingHeadsPermutesTheirScores() {
        qt().withExamples(12).forAll(integers().between(0, 2), longs().between(0, 1_000_000)).checkAssert((kind, seed) -> {
            LlamaModel a = TinyModels.model(kind, seed), b = TinyModels.model(kind, seed);
            boolean mha = kind == 1;
            int[] p = perm(seed * 7 + 1, mha, a.layer(1).numKvHeads());
            permuteHeads(b, 1, p);
            int[][] w = TinyModels.windows(3, 5, seed + 2);
            double[] sa = Michel.score(a, w, 2, Progress.NONE).normalized()[1], sb = Michel.score(b, w, 2, Progress.NONE).normalized()[1];
            double[] ta = Taylor.scores(a, CalibrationGradients.compute(a, w, 3, false, Progress.NONE), Taylor.Settings.DEFAULT, EnumSet.of(UnitKind.HEAD)).get(UnitKind.HEAD).row(1);
            double[] tb = Taylor.scores(b, CalibrationGradients.compute(b, w, 3, false, Progress.NONE), Taylor.Settings.DEFAULT, EnumSet.of(UnitKind.HEAD)).get(UnitKind.HEAD).row(1);
            double ms = Arrays.stream(sa).max().orElse(1), mt = Arrays.stream(ta).max().orElse(1);
            for (int i = 0; i < 4; i++) {
                assertEquals(sa[p[i]], sb[i], 1e-4 * ms, "michel head " + i + " = old head " + p[i]);
                assertEquals(ta[p[i]], tb[i], 1e-4 * mt, "taylor head " + i + " = old head " + p[i]);
            }
        });
    }

    @Test
    void iterativeRemovalRescoresTheSurvivorsWithTheRemovedHeadsMasked() {
        LlamaModel m = TinyModels.model(1, 11);                                     // MHA: heads are removed per layer
        int[][] w = TinyModels.windows(4, 6, 5);
        float[] before = m.logits(w).toFloatArray();
        int[] keep = {1, 1};
        // one step is one-shot pruning: the survivor is the top head of the one-shot scores
        Michel.Result once = Michel.score(m, w, 2, Progress.NONE), one = Michel.iterative(m, w, 2, 1, keep, Progress.NONE);
        for (int l = 0; l < 2; l++) assertArrayEquals(RankStats.topK(once.normalized()[l], 1), RankStats.topK(one.normalized()[l], 1));
        // three steps from 4 heads to 1: after step s, 4 − ⌈3s/3⌉ = 3, 2, 1 survive; each step removes the lowest survivor of a
        // pass with the removed heads masked to zero
        Michel.Result it = Michel.iterative(m, w, 2, 3, keep, Progress.NONE);
        boolean[][] removed = new boolean[2][4];
        for (int s = 1; s <= 3; s++) {
            Michel.Result pass = Michel.score(m, w, 2, removed, Progress.NONE, "test");
            for (int l = 0; l < 2; l++) {
                for (int h = 0; h < 4; h++) if (removed[l][h]) assertEquals(0, pass.normalized()[l][h], "a removed head scores 0");
                int worst = -1;
                for (int h = 0; h < 4; h++) if (!removed[l][h] && (worst < 0 || pass.normalized()[l][h] < pass.normalized()[l][worst])) worst = h;
                removed[l][worst] = true;
                assertEquals(2.0 * (s - 1) + pass.normalized()[l][worst], it.normalized()[l][worst], 1e-12, "layer " + l + " step " + s);
            }
        }
        for (int l = 0; l < 2; l++) {
            int survivor = -1;
            for (int h = 0; h < 4; h++) if (!removed[l][h]) survivor = h;
            assertArrayEquals(new int[] {survivor}, RankStats.topK(it.normalized()[l], 1), "the top-1 of the encoded scores is the survivor");
            assertTrue(it.normalized()[l][survivor] >= 6, "survivors score above every removed head");
        }
        assertArrayEquals(before, m.logits(w).toFloatArray(), "the model is left as it was");
    }

    @Test
    void groupedHeadsAreRemovedWithinTheirKvGroupAndBadTargetsAreRefused() {
        LlamaModel m = TinyModels.model(0, 4);                                      // GQA: heads {0,1} and {2,3}
        int[][] w = TinyModels.windows(3, 6, 8);
        Michel.Result it = Michel.iterative(m, w, 3, 2, new int[] {2, 2}, Progress.NONE);
        for (int l = 0; l < 2; l++) {
            int[] top = RankStats.topK(it.normalized()[l], 2);
            assertTrue(top[0] < 2 && top[1] >= 2, "one head kept per KV group, got " + Arrays.toString(top));
        }
        StructuredException e = assertThrows(StructuredException.class, () -> Michel.iterative(m, w, 3, 2, new int[] {3, 3}, Progress.NONE));
        assertTrue(e.getMessage().contains("multiple of the 2 KV groups"), e.getMessage());
    }

    @Test
    void nonFiniteLossesAndGradientsNameTheWindowsAndTheTensor() {
        LlamaModel m = TinyModels.model(0, 2);
        int[][] w = TinyModels.windows(4, 6, 1);
        float[] down = m.layer(1).weight(Linear.DOWN).toFloatArray();
        down[3] = Float.NaN;
        m.layer(1).setWeight(Linear.DOWN, Tensor.of(down, m.layer(1).weight(Linear.DOWN).shape()));
        StructuredException e = assertThrows(StructuredException.class, () -> Michel.score(m, w, 2, Progress.NONE));
        assertTrue(e.getMessage().contains("windows 0..1") && e.getMessage().contains("NaN"), e.getMessage());
        e = assertThrows(StructuredException.class, () -> CalibrationGradients.compute(m, w, 2, false, Progress.NONE));
        assertTrue(e.getMessage().startsWith("taylor: the loss of calibration windows 0..1 is NaN"), e.getMessage());

        // a token seen only at the last position of each window (which predicts nothing) with a NaN embedding: the loss is
        // finite, the gradients through that position are 0 · NaN
        LlamaModel n = TinyModels.model(0, 2);
        int[][] v = TinyModels.windows(4, 6, 1);
        for (int[] row : v) {
            for (int i = 0; i < row.length; i++) if (row[i] == 0) row[i] = 1;
            row[row.length - 1] = 0;
        }
        float[] emb = n.embedding().toFloatArray();
        Arrays.fill(emb, 0, 16, Float.NaN);
        n.parameters().get("model.embed_tokens.weight").setValue(Tensor.of(emb, n.embedding().shape()));
        assertTrue(Double.isFinite(batchLoss(n, v)), "the NaN only reaches the ignored position");
        e = assertThrows(StructuredException.class, () -> CalibrationGradients.compute(n, v, 2, false, Progress.NONE));
        assertTrue(e.getMessage().startsWith("taylor: the gradient of model.") && e.getMessage().contains("NaN"), e.getMessage());
    }
}
