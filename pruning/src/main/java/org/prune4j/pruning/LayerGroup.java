package org.prune4j.pruning;

import java.util.List;
import org.prune4j.transformer.Linear;

/**
 * The linear layers of a decoder layer grouped by the input they read: q/k/v read the normed attention input,
 * o the attention output, gate/up the normed MLP input, down the SwiGLU product. Statistics are collected once
 * per group (a SparseGPT Hessian is shared by the three attention projections).
 */
public enum LayerGroup {
    ATTN_IN(List.of(Linear.Q, Linear.K, Linear.V)),
    ATTN_OUT(List.of(Linear.O)),
    MLP_IN(List.of(Linear.GATE, Linear.UP)),
    MLP_OUT(List.of(Linear.DOWN));

    /** The linears reading this input, in checkpoint order; the first is the one whose observation is recorded. */
    public final List<Linear> linears;

    LayerGroup(List<Linear> linears) {
        this.linears = linears;
    }

    /** The group {@code l} belongs to. */
    public static LayerGroup of(Linear l) {
        return switch (l) {
            case Q, K, V -> ATTN_IN;
            case O -> ATTN_OUT;
            case GATE, UP -> MLP_IN;
            case DOWN -> MLP_OUT;
        };
    }
}
