package org.prune4j.pruning.structured.scop;

import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.tensor.Tensor;

/**
 * Where a unit kind's features are read and gated (a "site"), and each unit's outgoing weights:
 * <ul>
 *   <li>NEURON: one site per layer, the down_proj input [B, T, I]; unit j's outgoing weights are down_proj[:, j].
 *   <li>HEAD: one site per layer, the head outputs [B, T, H·D] before o_proj, each head a group of D features
 *       (group knockoffs; see {@link org.prune4j.pruning.knockoff.GaussianKnockoffs}); outgoing: o_proj[:, hD..hD+D).
 *       A head-output norm as a scalar feature would not do: the gate must hand o_proj a D-vector, and a knockoff
 *       of the norm says nothing about the direction o_proj reads.
 *   <li>CHANNEL: two sites per layer, the RMSNorm outputs before attention (site 2l) and before the MLP (2l + 1), one
 *       gate per channel shared by all sites; outgoing: the channel's column in every q, k, v, gate and up weight.
 *       The residual stream itself is not gated (the intervention points are the norm outputs), an approximation of
 *       removing the channel everywhere that the README states.
 * </ul>
 */
final class Sites {
    private Sites() {}

    static int count(UnitKind kind, LlamaModel m) {
        return kind == UnitKind.CHANNEL ? 2 * m.numLayers() : m.numLayers();
    }

    /** The layer a site belongs to. */
    static int layer(UnitKind kind, int site) {
        return kind == UnitKind.CHANNEL ? site / 2 : site;
    }

    /** Features at the site (p). */
    static int dim(UnitKind kind, LlamaModel m, int site) {
        DecoderLayer l = m.layer(layer(kind, site));
        return switch (kind) {
            case NEURON -> l.intermediateSize();
            case HEAD -> l.numHeads() * l.headDim();
            default -> l.hiddenSize();
        };
    }

    /** Features per unit (the knockoff group size). */
    static int group(UnitKind kind, LlamaModel m, int site) {
        return kind == UnitKind.HEAD ? m.layer(layer(kind, site)).headDim() : 1;
    }

    /** Rows of scores: one per layer, or one for CHANNEL. */
    static int rows(UnitKind kind, LlamaModel m) {
        return kind == UnitKind.CHANNEL ? 1 : m.numLayers();
    }

    /** Units in row r. */
    static int units(UnitKind kind, LlamaModel m, int row) {
        return switch (kind) {
            case NEURON -> m.layer(row).intermediateSize();
            case HEAD -> m.layer(row).numHeads();
            default -> m.config().hiddenSize();
        };
    }

    /** ‖outgoing weights‖₂ of every unit of row r (the role BN's γ plays in the SCOP paper). */
    static double[] outgoingNorms(UnitKind kind, LlamaModel m, int row) {
        double[] sq = new double[units(kind, m, row)];
        switch (kind) {
            case NEURON -> addColumns(m.layer(row).weight(Linear.DOWN), sq, 1);
            case HEAD -> addColumns(m.layer(row).weight(Linear.O), sq, m.layer(row).headDim());
            default -> {
                for (int l = 0; l < m.numLayers(); l++)
                    for (Linear w : new Linear[] {Linear.Q, Linear.K, Linear.V, Linear.GATE, Linear.UP}) addColumns(m.layer(l).weight(w), sq, 1);
            }
        }
        for (int j = 0; j < sq.length; j++) sq[j] = Math.sqrt(sq[j]);
        return sq;
    }

    /** sq[c / group] += Σ_r w[r][c]² for w [out, in]. */
    private static void addColumns(Tensor w, double[] sq, int group) {
        int out = w.size(0), in = w.size(1);
        float[] a = w.contiguous().toFloatArray();
        for (int r = 0; r < out; r++)
            for (int c = 0; c < in; c++) sq[c / group] += (double) a[r * in + c] * a[r * in + c];
    }
}
