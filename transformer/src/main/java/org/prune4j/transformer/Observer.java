package org.prune4j.transformer;

import org.prune4j.tensor.Tensor;

/**
 * Hooks into a forward pass, so pruning criteria read activations without changing model code. Every method is a
 * no-op by default; tensors passed are the live values (do not modify them; copy what you keep).
 * The same calls happen on the training path and on the inference path.
 */
public interface Observer {
    Observer NONE = new Observer() {};

    /** The input x [N, in] of linear {@code which} in {@code layer} (N = batch * positions). Q, K and V share one input. */
    default void linearInput(int layer, Linear which, Tensor x) {}

    /** Each head's attention output [B, T, H, D] just before o_proj (after the head mask when one is active). */
    default void headOutputs(int layer, Tensor perHead) {}

    /** The hidden state [B, T, C] entering {@code layer}. */
    default void layerInput(int layer, Tensor h) {}

    /** The hidden state [B, T, C] leaving {@code layer} (after both residual adds). */
    default void layerOutput(int layer, Tensor h) {}
}
