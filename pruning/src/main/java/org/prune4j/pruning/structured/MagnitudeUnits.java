package org.prune4j.pruning.structured;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * Data-free baseline: a unit's importance is the L2 norm of all its weights ({@link UnitSums}); a channel also
 * counts its embedding and output-head columns and its entries of every RMSNorm weight; a layer is the L2 norm of its
 * seven linear weights.
 */
public final class MagnitudeUnits implements StructuredCriterion {
    @Override public String name() { return "magnitude"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.complementOf(EnumSet.of(UnitKind.BLOCK)); }

    @Override public boolean needsCalibration() { return false; }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        LlamaModel m = in.model();
        ModelConfig cfg = m.config();
        EnumMap<UnitKind, double[][]> s = new EnumMap<>(UnitKind.class);
        for (UnitKind k : kinds) s.put(k, UnitCounts.zeros(cfg, k));
        for (int l = 0; l < m.numLayers(); l++) {
            UnitSums u = new UnitSums(m.layer(l), (lin, w, j) -> (double) w * w);
            if (s.containsKey(UnitKind.HEAD)) s.get(UnitKind.HEAD)[l] = u.heads;
            if (s.containsKey(UnitKind.KV_GROUP)) s.get(UnitKind.KV_GROUP)[l] = u.kvGroups;
            if (s.containsKey(UnitKind.NEURON)) s.get(UnitKind.NEURON)[l] = u.neurons;
            if (s.containsKey(UnitKind.LAYER)) s.get(UnitKind.LAYER)[0][l] = u.layer;
            if (s.containsKey(UnitKind.CHANNEL)) {
                double[] c = s.get(UnitKind.CHANNEL)[0];
                for (int j = 0; j < c.length; j++) {
                    c[j] += u.channels[j];
                    c[j] += sq(m.layer(l).inputNorm(), j) + sq(m.layer(l).postAttentionNorm(), j);
                }
            }
        }
        if (s.containsKey(UnitKind.CHANNEL)) {
            double[] c = s.get(UnitKind.CHANNEL)[0];
            double[] e = UnitSums.columnSums(m.embedding(), v -> v * v);
            double[] h = cfg.tieWordEmbeddings() ? new double[c.length] : UnitSums.columnSums(m.lmHead(), v -> v * v);
            for (int j = 0; j < c.length; j++) c[j] += e[j] + h[j] + sq(m.finalNorm(), j);
        }
        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        s.forEach((k, v) -> {
            for (double[] row : v) for (int i = 0; i < row.length; i++) row[i] = Math.sqrt(row[i]);
            out.put(k, new UnitScores(k, name(), v));
        });
        return out;
    }

    private static double sq(Tensor t, int j) {
        double v = t.get(j);
        return v * v;
    }
}
