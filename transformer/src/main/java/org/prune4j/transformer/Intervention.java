package org.prune4j.transformer;

import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;

/**
 * Edits to activations at the points where structured pruning units live (heads, MLP neurons, hidden channels),
 * for masks, gates and knockoffs (SCOP). The identity by default. Edits are made on the tape, so on the training
 * path gradients flow through them (a gate's gradient is its importance); {@link Observer}s see the edited values.
 * Set with {@link LlamaModel#setIntervention}.
 */
public interface Intervention {
    Intervention NONE = new Intervention() {};

    /** Each head's attention output [B, T, H, D] before o_proj (after the head mask when one is on). */
    default Var headOutputs(Tape tape, int layer, Var perHead) { return perHead; }

    /** The MLP neurons silu(gate(x))·up(x) [B, T, I]: the input of down_proj. */
    default Var neurons(Tape tape, int layer, Var act) { return act; }

    /** A normed hidden state [B, T, C]: the input of q/k/v ({@code mlp} false) or of gate/up ({@code mlp} true). */
    default Var normOutput(Tape tape, int layer, boolean mlp, Var h) { return h; }
}
