package org.prune4j.pruning;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * Where a pruning run puts the pruned checkpoint: every tensor is declared first (name, dtype, shape, in write order),
 * then written in that order, one decoder layer at a time, so a streaming safetensors writer never holds the model.
 */
public interface TensorSink {

    /** Declares the next tensor of the layout. */
    void declare(String name, DType dtype, int[] shape) throws IOException;

    /** Writes the values of the next declared tensor (converted to its declared dtype). */
    void write(String name, Tensor t) throws IOException;

    /** Collects the tensors in memory as F32 heap copies, in order (for evaluating a pruned model right away). */
    final class InMemory implements TensorSink {
        private final Map<String, Tensor> tensors = new LinkedHashMap<>();

        @Override public void declare(String name, DType dtype, int[] shape) {}

        @Override public void write(String name, Tensor t) {
            tensors.put(name, t.copy());
        }

        /** The tensors written so far, in order. */
        public Map<String, Tensor> tensors() { return tensors; }
    }
}
