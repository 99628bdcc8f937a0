package org.prune4j.pruning.structured;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Wanda per unit (Sun et al. 2023, their structured ablation): a unit's importance is Σ |W_ij|·‖X_j‖₂ over the
 * unit's weights ({@link UnitSums}), ‖X_j‖₂ the norm of input feature j of that linear over every calibration token.
 * Embedding and norm weights have no input activations and do not count toward a channel.
 */
public final class WandaUnits implements StructuredCriterion {
    @Override public String name() { return "wanda"; }

    @Override public Set<UnitKind> kinds() { return EnumSet.of(UnitKind.HEAD, UnitKind.KV_GROUP, UnitKind.NEURON, UnitKind.CHANNEL); }

    @Override public boolean needsCalibration() { return true; }

    @Override public Map<UnitKind, UnitScores> score(ScoringInput in, Set<UnitKind> kinds) {
        LlamaModel m = in.model();
        int n = m.numLayers();
        double[][][] sq = new double[n][Linear.values().length][]; // [layer][linear][in]: Σ x_j² (q/k/v share, gate/up share)
        Observer obs = new Observer() {
            @Override public void linearInput(int l, Linear which, Tensor x) {
                if (which == Linear.K || which == Linear.V || which == Linear.UP) return;
                float[] a = Minitron.dense(x);
                int w = x.size(1);
                double[] s = sq[l][which.ordinal()] == null ? (sq[l][which.ordinal()] = new double[w]) : sq[l][which.ordinal()];
                for (int r = 0; r < x.size(0); r++)
                    for (int j = 0; j < w; j++) {
                        double v = a[r * w + j];
                        if (!Double.isFinite(v)) throw new StructuredException("wanda: non-finite activation in the input of layer " + l + " " + which.suffix());
                        s[j] += v * v;
                    }
            }
        };
        int[][][] batches = in.batches();
        for (int i = 0; i < batches.length; i++) {
            m.logits(batches[i], obs);
            in.log().printf("wanda: batch %d/%d%n", i + 1, batches.length);
        }
        EnumMap<UnitKind, double[][]> s = new EnumMap<>(UnitKind.class);
        for (UnitKind k : kinds) s.put(k, UnitCounts.zeros(m.config(), k));
        for (int l = 0; l < n; l++) {
            double[][] norm = new double[Linear.values().length][];
            for (Linear lin : Linear.values()) {
                Linear src = switch (lin) { case K, V -> Linear.Q; case UP -> Linear.GATE; default -> lin; };
                double[] q = sq[l][src.ordinal()];
                norm[lin.ordinal()] = new double[q.length];
                for (int j = 0; j < q.length; j++) norm[lin.ordinal()][j] = Math.sqrt(q[j]);
            }
            UnitSums u = new UnitSums(m.layer(l), (lin, w, j) -> Math.abs(w) * norm[lin.ordinal()][j]);
            if (s.containsKey(UnitKind.HEAD)) s.get(UnitKind.HEAD)[l] = u.heads;
            if (s.containsKey(UnitKind.KV_GROUP)) s.get(UnitKind.KV_GROUP)[l] = u.kvGroups;
            if (s.containsKey(UnitKind.NEURON)) s.get(UnitKind.NEURON)[l] = u.neurons;
            if (s.containsKey(UnitKind.CHANNEL)) for (int j = 0; j < u.channels.length; j++) s.get(UnitKind.CHANNEL)[0][j] += u.channels[j];
        }
        Map<UnitKind, UnitScores> out = new EnumMap<>(UnitKind.class);
        s.forEach((k, v) -> out.put(k, new UnitScores(k, name(), v)));
        return out;
    }
}
