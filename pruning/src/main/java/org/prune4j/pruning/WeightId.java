package org.prune4j.pruning;

import org.prune4j.transformer.Linear;

/**
 * One prunable weight of a checkpoint: linear {@code linear} of decoder layer {@code layer}. Pruning addresses
 * weights by this pair, and turns it into a Hugging Face tensor name only where it reads or writes a checkpoint.
 */
public record WeightId(int layer, Linear linear) {
    public WeightId {
        if (layer < 0) throw new IllegalArgumentException("layer must be >= 0, got " + layer);
        if (linear == null) throw new IllegalArgumentException("linear is null");
    }

    /** "model.layers.3.self_attn.q_proj.weight": the tensor's name in the checkpoint. */
    public String tensorName() { return linear.weightName(layer); }

    /** "model.layers.3.self_attn.q_proj": the module's name, as ratio files list it. */
    public String moduleName() { return "model.layers." + layer + "." + linear.suffix(); }

    @Override
    public String toString() { return tensorName(); }
}
