package org.prune4j.transformer;

/**
 * The seven linear layers of a Llama decoder layer, named as in Hugging Face checkpoints. Pruning criteria
 * address weights by (layer, Linear).
 */
public enum Linear {
    Q("self_attn.q_proj"), K("self_attn.k_proj"), V("self_attn.v_proj"), O("self_attn.o_proj"),
    GATE("mlp.gate_proj"), UP("mlp.up_proj"), DOWN("mlp.down_proj");

    private final String suffix;

    Linear(String suffix) {
        this.suffix = suffix;
    }

    /** "self_attn.q_proj", ..., "mlp.down_proj". */
    public String suffix() { return suffix; }

    /** "q", "k", "v", "o", "gate", "up", "down": the name reports print. */
    public String shortName() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** "model.layers.{layer}.{suffix}.weight". */
    public String weightName(int layer) { return "model.layers." + layer + "." + suffix + ".weight"; }

    /** "model.layers.{layer}.{suffix}.bias". */
    public String biasName(int layer) { return "model.layers." + layer + "." + suffix + ".bias"; }

    /** True for the attention projections (q, k, v, o), false for the MLP. */
    public boolean isAttention() { return ordinal() <= O.ordinal(); }
}
