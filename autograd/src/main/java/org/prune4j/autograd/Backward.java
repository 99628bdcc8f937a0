package org.prune4j.autograd;

import org.prune4j.tensor.Tensor;

/** The backward half of a recorded op: given d(loss)/d(output), adds each input's gradient on the tape. */
@FunctionalInterface
public interface Backward {
    void apply(Tensor dy);
}
