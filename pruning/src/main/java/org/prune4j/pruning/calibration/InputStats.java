package org.prune4j.pruning.calibration;

import org.prune4j.pruning.PruningException;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/**
 * Running statistics of the inputs X [tokens, in] of one linear layer (or of several that read the same input,
 * as q/k/v and gate/up do), accumulated over calibration batches without storing the activations:
 * the token count n, per-feature sums of squares, and optionally the Gram matrix sum of x x^T in double.
 */
public final class InputStats {
    private final String where;
    private final int width;
    private final Statistic statistic;
    private long tokens;
    private final double[] sumSq; // [in]
    private double[] gram;        // [in, in] row-major, null unless GRAM; handed over (not copied) to the solver

    /** Empty statistics for inputs of {@code width} features; {@code where} names the layer in error messages. */
    public InputStats(String where, int width, Statistic statistic) {
        this.where = where;
        this.width = width;
        this.statistic = statistic;
        this.sumSq = new double[width];
        if (statistic == Statistic.GRAM) {
            long n2 = (long) width * width;
            if (n2 > Integer.MAX_VALUE - 8)
                throw new PruningException(where + ": a Gram matrix of " + width + "^2 entries exceeds one Java array");
            this.gram = new double[(int) n2];
        }
    }

    /** Statistics built directly from values (tests, synthetic benchmarks): sum of squares and, for GRAM, x^T x. */
    public static InputStats of(String where, float[] x, int tokens, int width, Statistic statistic, Kernels k) {
        InputStats s = new InputStats(where, width, statistic);
        s.add(Tensor.of(x, tokens, width), k);
        return s;
    }

    public String where() { return where; }
    public int width() { return width; }
    public Statistic statistic() { return statistic; }

    /** Calibration tokens seen so far. */
    public long tokens() { return tokens; }

    /** Sum over tokens of x_j^2 for every input feature j. */
    public double[] sumSq() { return sumSq; }

    /** The accumulated Gram matrix sum of x x^T [in, in], or null when not collected or already taken. */
    public double[] gram() { return gram; }

    /** Hands the Gram matrix to a consumer that overwrites it (the Cholesky works in place); this object drops it. */
    public double[] takeGram() {
        double[] g = gram;
        gram = null;
        return g;
    }

    /**
     * Adds a batch of inputs x [N, in] (any layout, any dtype). Non-finite activations are an error: they would
     * poison every score silently.
     */
    public void add(Tensor x, Kernels k) {
        if (x.rank() != 2 || x.size(1) != width)
            throw new PruningException(where + ": expected inputs [N, " + width + "], got " + java.util.Arrays.toString(x.shape()));
        int n = x.size(0);
        if (n == 0) return;
        Tensor xc = x.toF32(); // [N, in] contiguous heap floats
        float[] a = xc.array();
        int base = (int) xc.offset();
        for (int t = 0; t < n; t++) {
            int row = base + t * width;
            for (int j = 0; j < width; j++) {
                float v = a[row + j];
                if (!Float.isFinite(v))
                    throw new PruningException(where + ": calibration activation is " + v + " (token " + (tokens + t) + ", feature " + j
                            + "); the model or its calibration text produces non-finite values");
                sumSq[j] += (double) v * v;
            }
        }
        if (statistic == Statistic.GRAM) {
            if (gram == null) throw new IllegalStateException(where + ": Gram matrix already handed to the solver");
            // X^T X for this batch in row panels of at most ~16M floats, so a wide input (11008) never needs a
            // second full [in, in] float matrix; each panel's F32 product is summed into the double Gram.
            int panel = Math.max(1, Math.min(width, (1 << 24) / width));
            for (int i0 = 0; i0 < width; i0 += panel) {
                int p = Math.min(panel, width - i0);
                Tensor g = k.matmul(xc.narrow(1, i0, p).t(), xc); // [p, in]
                float[] ga = g.array();
                int go = (int) g.offset();
                int dst = i0 * width;
                for (int i = 0; i < p * width; i++) gram[dst + i] += ga[go + i];
            }
        }
        tokens += n;
    }
}
