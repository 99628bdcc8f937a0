package org.prune4j.pruning;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.tensor.Tensor;

/**
 * The named tensors a pruning run reads, in checkpoint order: a memory-mapped checkpoint (views, nothing read
 * until used, so a model larger than the heap works) or the tensors of a model in memory.
 */
public interface TensorSource {

    /** Every tensor name, in the order the checkpoint holds them. */
    List<String> names();

    /** The tensor called {@code name} (possibly a mapped BF16/F16 view; callers copy what they keep). */
    Tensor get(String name) throws IOException;

    /** An opened checkpoint (single file or shards). */
    static TensorSource of(SafeTensors st) {
        List<String> names = new ArrayList<>();
        st.infos().forEach(i -> names.add(i.name()));
        return new TensorSource() {
            @Override public List<String> names() { return names; }
            @Override public Tensor get(String name) throws IOException { return st.get(name); }
        };
    }

    /** Tensors in memory (an insertion-ordered map, e.g. a model's named tensors). */
    static TensorSource of(Map<String, Tensor> tensors) {
        List<String> names = List.copyOf(tensors.keySet());
        return new TensorSource() {
            @Override public List<String> names() { return names; }
            @Override public Tensor get(String name) {
                Tensor t = tensors.get(name);
                if (t == null) throw new IllegalArgumentException("no tensor " + name);
                return t;
            }
        };
    }
}
