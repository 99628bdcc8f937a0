package org.prune4j.pruning.structured;

import java.util.Arrays;

/**
 * A criterion's importance for every unit of one kind: {@code scores[l][u]} for unit u of layer l (HEAD, KV_GROUP,
 * NEURON); a single row {@code scores[0][c]} for CHANNEL (hidden-size indices) and {@code scores[0][l]} for LAYER.
 * Larger means more important. The common currency between criteria (which make it) and plans (which read it).
 */
public record UnitScores(UnitKind kind, String criterion, double[][] scores) {
    public UnitScores {
        if (kind == null || criterion == null || scores == null) throw new IllegalArgumentException("kind, criterion and scores are required");
        if (!kind.perLayer() && scores.length != 1)
            throw new IllegalArgumentException(kind + " scores have one row, got " + scores.length);
        for (int l = 0; l < scores.length; l++)
            for (double v : scores[l])
                if (!Double.isFinite(v))
                    throw new IllegalArgumentException(criterion + ": " + kind + " score of row " + l + " is " + v + " (NaN or infinite activations or gradients?)");
        scores = deepCopy(scores);
    }

    /** Scores of row l (a copy). */
    public double[] row(int l) { return scores[l].clone(); }

    public int rows() { return scores.length; }

    @Override public double[][] scores() { return deepCopy(scores); }

    private static double[][] deepCopy(double[][] s) {
        double[][] c = new double[s.length][];
        for (int i = 0; i < s.length; i++) c[i] = s[i].clone();
        return c;
    }

    @Override public boolean equals(Object o) {
        return o instanceof UnitScores u && u.kind == kind && u.criterion.equals(criterion) && Arrays.deepEquals(u.scores, scores);
    }

    @Override public int hashCode() { return kind.hashCode() * 31 + Arrays.deepHashCode(scores); }

    @Override public String toString() { return "UnitScores[" + criterion + " " + kind + ", " + scores.length + " rows]"; }
}
