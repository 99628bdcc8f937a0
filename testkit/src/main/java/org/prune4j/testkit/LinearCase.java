package org.prune4j.testkit;

import java.util.SplittableRandom;
import org.prune4j.pruning.LinearWeight;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.tensor.ScalarKernels;

/**
 * One linear layer to prune, described by its sizes and a seed, so a failing case prints in one line and shrinks
 * in its sizes: weights W [rows, cols] and calibration inputs X [tokens, cols] are made from the seed
 * ({@link Generators#weights}, {@link Generators#activations}). {@code zeros}: a fraction of W already zero.
 *
 * @param rows output rows
 * @param cols input columns
 * @param tokens tokens of calibration input X
 * @param zeros the fraction of W already zero
 * @param seed the seed W and X are made from
 */
public record LinearCase(int rows, int cols, int tokens, double zeros, long seed) {
    /** Checks the sizes and the zero fraction. */
    public LinearCase {
        if (rows < 1 || cols < 1 || tokens < 1) throw new IllegalArgumentException("a linear case needs rows, cols, tokens >= 1");
        if (!(zeros >= 0 && zeros < 1)) throw new IllegalArgumentException("zeros must lie in [0, 1), got " + zeros);
    }

    /**
     * A fresh copy of W [rows, cols], row-major.
     *
     * @return the weights, row-major
     */
    public float[] weights() {
        float[] w = Generators.weights(new SplittableRandom(seed), rows, cols);
        if (zeros > 0) {
            SplittableRandom r = new SplittableRandom(~seed);
            for (int i = 0; i < w.length; i++) if (r.nextDouble() < zeros) w[i] = 0;
        }
        return w;
    }

    /**
     * X [tokens, cols], row-major: the inputs the layer sees during calibration.
     *
     * @return X
     */
    public float[] inputs() {
        return Generators.activations(new SplittableRandom(seed ^ 0x5DEECE66DL), tokens, cols);
    }

    /**
     * Fresh statistics of X (a solver may consume them, so every run gets its own).
     *
     * @param s the statistic
     * @return the statistics, or null for Statistic.NONE
     */
    public InputStats stats(Statistic s) {
        return s == Statistic.NONE ? null : InputStats.of("case", inputs(), tokens, cols, s, ScalarKernels.INSTANCE);
    }

    /**
     * A fresh weight to prune to {@code target}.
     *
     * @param target the target
     * @return the weight
     */
    public LinearWeight weight(Sparsity target) {
        return new LinearWeight("w", weights(), rows, cols, target);
    }
}
