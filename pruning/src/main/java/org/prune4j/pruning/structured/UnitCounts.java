package org.prune4j.pruning.structured;

import org.prune4j.io.config.ModelConfig;

/** How many units of each kind a model has, per row of {@link UnitScores} (a layer, or the one row of CHANNEL and LAYER). */
public final class UnitCounts {
    private UnitCounts() {}

    /** Units per row of {@code kind} in {@code cfg}. */
    public static int[] of(ModelConfig cfg, UnitKind kind) {
        int n = cfg.numLayers();
        return switch (kind) {
            case HEAD -> perLayer(n, l -> cfg.numHeads(l));
            case KV_GROUP -> perLayer(n, l -> cfg.numKvHeads(l));
            case NEURON -> perLayer(n, l -> cfg.intermediateSize(l));
            case CHANNEL -> new int[] {cfg.hiddenSize()};
            case LAYER -> new int[] {n};
            case BLOCK -> throw new IllegalArgumentException("BLOCK scores depend on the block length, not on the config alone");
        };
    }

    private static int[] perLayer(int n, java.util.function.IntUnaryOperator f) {
        int[] r = new int[n];
        for (int l = 0; l < n; l++) r[l] = f.applyAsInt(l);
        return r;
    }

    /** Zero scores shaped for {@code kind} in {@code cfg}. */
    public static double[][] zeros(ModelConfig cfg, UnitKind kind) {
        int[] c = of(cfg, kind);
        double[][] s = new double[c.length][];
        for (int i = 0; i < c.length; i++) s[i] = new double[c[i]];
        return s;
    }

    /** Checks that {@code s} has the shape {@code kind} has in {@code cfg}, naming {@code criterion} if not. */
    public static void check(ModelConfig cfg, UnitScores s) {
        if (s.kind() == UnitKind.BLOCK) {
            if (s.rows() != 1 || s.row(0).length < 1 || s.row(0).length > cfg.numLayers())
                throw new StructuredException(s.criterion() + ": BLOCK scores need one row of 1.." + cfg.numLayers() + " block starts");
            return;
        }
        int[] c = of(cfg, s.kind());
        if (s.rows() != c.length) throw new StructuredException(s.criterion() + ": " + s.kind() + " scores have " + s.rows() + " rows, the model needs " + c.length);
        for (int i = 0; i < c.length; i++)
            if (s.row(i).length != c[i])
                throw new StructuredException(s.criterion() + ": " + s.kind() + " scores of row " + i + " have " + s.row(i).length + " units, the model has " + c[i]);
    }
}
