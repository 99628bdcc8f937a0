package org.prune4j.pruning;

import org.prune4j.tensor.NM;
import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.doubles;
import static org.quicktheories.generators.SourceDSL.integers;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.pruning.criterion.Wanda;
import org.prune4j.tensor.ScalarKernels;

class ScoreMaskPrunerTest {

    static InputStats stats(long seed, int tokens, int cols) {
        return InputStats.of("test", Fixtures.correlatedInputs(seed, tokens, cols), tokens, cols, Statistic.COLUMN_NORMS, ScalarKernels.INSTANCE);
    }

    static float[] prune(LinearPruner p, float[] w, int rows, int cols, Sparsity s, InputStats x) {
        float[] v = w.clone();
        p.prune(x, List.of(new LinearWeight("w", v, rows, cols, s)));
        return v;
    }

    @Test
    void magnitudeHitsTheTargetWithinOneWeightPerMatrix() {
        qt().withExamples(150).forAll(integers().between(1, 30), integers().between(1, 120), doubles().between(0, 0.999), integers().between(0, 10_000))
                .checkAssert((rows, cols, s, seed) -> {
                    float[] w = prune(Methods.magnitude(false), Fixtures.gaussian(seed, rows, cols, 1), rows, cols, new Sparsity.Unstructured(s), null);
                    assertTrue(Math.abs(Fixtures.zeros(w) - s * rows * cols) < 1, "zeros " + Fixtures.zeros(w) + " target " + s * rows * cols);
                });
    }

    @Test
    void wandaHitsTheTargetWithinOneWeightPerRow() {
        qt().withExamples(150).forAll(integers().between(1, 30), integers().between(1, 120), doubles().between(0, 0.999), integers().between(0, 10_000))
                .checkAssert((rows, cols, s, seed) -> {
                    float[] w = prune(Methods.wanda(), Fixtures.gaussian(seed, rows, cols, 1), rows, cols, new Sparsity.Unstructured(s), stats(seed, 16, cols));
                    for (int r = 0; r < rows; r++) {
                        int z = 0;
                        for (int c = 0; c < cols; c++) if (w[r * cols + c] == 0) z++;
                        assertTrue(Math.abs(z - s * cols) < 1, "row " + r + ": zeros " + z + " target " + s * cols);
                    }
                });
    }

    @Test
    void sparsityZeroIsTheIdentityAndPruningIsDeterministic() {
        qt().withExamples(100).forAll(integers().between(1, 20), integers().between(1, 64), integers().between(0, 2), integers().between(0, 10_000))
                .checkAssert((rows, cols, method, seed) -> {
                    LinearPruner p = List.of(Methods.magnitude(false), Methods.magnitude(true), Methods.wanda()).get(method);
                    float[] w = Fixtures.gaussian(seed, rows, cols, 1);
                    InputStats x = stats(seed, 9, cols);
                    assertArrayEquals(w, prune(p, w, rows, cols, new Sparsity.Unstructured(0), x));
                    Sparsity half = new Sparsity.Unstructured(0.5);
                    assertArrayEquals(prune(p, w, rows, cols, half, x), prune(p, w, rows, cols, half, x));
                });
    }

    @Test
    void weightsAlreadyZeroStayZeroAndKeptWeightsAreUntouched() {
        qt().withExamples(100).forAll(integers().between(1, 20), integers().between(1, 16), integers().between(0, 2), integers().between(0, 10_000))
                .checkAssert((rows, groups, method, seed) -> {
                    int cols = 4 * groups;
                    LinearPruner p = List.of(Methods.magnitude(false), Methods.magnitude(true), Methods.wanda()).get(method);
                    float[] w = Fixtures.gaussian(seed, rows, cols, 1);
                    for (int i = 0; i < w.length; i += 2 + seed % 5) w[i] = 0;
                    for (Sparsity s : new Sparsity[] {new Sparsity.Unstructured(0.3), new Sparsity.Unstructured(0.7), new Sparsity.Groups(new NM(2, 4))}) {
                        float[] v = prune(p, w, rows, cols, s, stats(seed, 12, cols));
                        for (int i = 0; i < w.length; i++) assertTrue(v[i] == 0 || v[i] == w[i], "only zeroing, never changing");
                        for (int i = 0; i < w.length; i++) if (w[i] == 0) assertEquals(0f, v[i]);
                    }
                });
    }

    @Test
    void wandaScoreIsMagnitudeTimesInputNorm() {
        int rows = 3, cols = 5, tokens = 7;
        float[] x = Fixtures.correlatedInputs(1, tokens, cols), w = Fixtures.gaussian(2, rows, cols, 1);
        InputStats st = InputStats.of("t", x, tokens, cols, Statistic.COLUMN_NORMS, ScalarKernels.INSTANCE);
        float[] s = new Wanda().score(w, rows, cols, st);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) {
                double norm = 0;
                for (int t = 0; t < tokens; t++) norm += (double) x[t * cols + j] * x[t * cols + j];
                assertEquals(Math.abs(w[r * cols + j]) * Math.sqrt(norm), s[r * cols + j], 1e-5 * Math.abs(w[r * cols + j]) * Math.sqrt(norm));
            }
    }

    @Test
    void wandaPrunesLowActivationColumnsMagnitudeIgnores() {
        // column 0 has the largest weights but its input never exceeds 1e-3; column 1 the smallest weights and huge inputs
        int rows = 4, cols = 4, tokens = 8;
        float[] w = new float[rows * cols], x = new float[tokens * cols];
        for (int r = 0; r < rows; r++) {
            w[r * cols] = 5;
            w[r * cols + 1] = 0.5f;
            w[r * cols + 2] = 1;
            w[r * cols + 3] = 1;
        }
        for (int t = 0; t < tokens; t++) {
            x[t * cols] = 1e-3f;
            x[t * cols + 1] = 100;
            x[t * cols + 2] = 1;
            x[t * cols + 3] = 1.5f;
        }
        InputStats st = InputStats.of("t", x, tokens, cols, Statistic.COLUMN_NORMS, ScalarKernels.INSTANCE);
        float[] wanda = prune(Methods.wanda(), w, rows, cols, new Sparsity.Unstructured(0.25), st);
        float[] mag = prune(Methods.magnitude(true), w, rows, cols, new Sparsity.Unstructured(0.25), null);
        for (int r = 0; r < rows; r++) {
            assertEquals(0f, wanda[r * cols]);
            assertEquals(0f, mag[r * cols + 1]);
        }
    }

    @Test
    void badTargetsAreRefusedWithTheWeightsName() {
        assertThrows(PruningException.class, () -> new Sparsity.Unstructured(1.0));
        assertThrows(PruningException.class, () -> new Sparsity.Unstructured(-0.1));
        assertThrows(PruningException.class, () -> new Sparsity.Unstructured(Double.NaN));
        assertThrows(PruningException.class, () -> Sparsity.parseNM("4:4"));
        assertThrows(PruningException.class, () -> Sparsity.parseNM("5:4"));
        assertThrows(PruningException.class, () -> Sparsity.parseNM("2-4"));
        PruningException e = assertThrows(PruningException.class,
                () -> prune(Methods.magnitude(false), new float[6], 1, 6, new Sparsity.Groups(new NM(2, 4)), null));
        assertTrue(e.getMessage().contains("w") && e.getMessage().contains("6"), e.getMessage());
        float[] nan = new float[8];
        nan[3] = Float.NaN;
        e = assertThrows(PruningException.class, () -> prune(Methods.magnitude(false), nan, 2, 4, new Sparsity.Unstructured(0.5), null));
        assertTrue(e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void nonFiniteActivationsAreRefused() {
        float[] x = Fixtures.correlatedInputs(1, 5, 4);
        x[7] = Float.POSITIVE_INFINITY;
        PruningException e = assertThrows(PruningException.class,
                () -> InputStats.of("model.layers.2.mlp.down_proj", x, 5, 4, Statistic.GRAM, ScalarKernels.INSTANCE));
        assertTrue(e.getMessage().contains("model.layers.2.mlp.down_proj") && e.getMessage().contains("Infinity"), e.getMessage());
    }
}
