package org.prune4j.tensor;

/**
 * The compute seam of prune4j: every numeric op the models, criteria and distillation use. Three
 * implementations: {@link ScalarKernels} (plain loops, the oracle tests compare against),
 * {@link VectorKernels} (JDK Vector API + ForkJoinPool) and the OpenCL one in the opencl module.
 *
 * <p>Contract shared by all implementations: inputs may be any layout (strided, transposed, broadcast
 * views, BF16/F16/mapped storage); every result is a fresh contiguous F32 heap tensor unless the method
 * says otherwise; shape errors throw {@link ShapeException} naming every shape involved. "Last dim"
 * ops work on rows of the last dimension.
 *
 * <p>Backends with their own memory (OpenCL) hold device buffers: use them in try-with-resources (or call
 * {@link #close()}), and tell them which tensors are weights with {@link #keepResident} so those stay on the device.
 * CPU backends hold nothing and treat both as no-ops.
 */
public interface Kernels extends AutoCloseable {

    /** A short name for reports ("scalar", "vector[2 threads]", "opencl[device]"). */
    String name();

    // ---------------------------------------------------------------- products

    /**
     * Batched matrix product: a [..., M, K] @ b [..., K, N] -> [..., M, N]. Leading (batch) dims broadcast
     * (b may be a plain [K, N] matrix). Either operand may be a transposed or otherwise strided view.
     */
    Tensor matmul(Tensor a, Tensor b);

    /** x [..., K] @ w[N, K]^T (+ bias [N]) -> [..., N]: a linear layer with Hugging Face's [out, in] weight layout. */
    default Tensor linear(Tensor x, Tensor w, Tensor bias) {
        Tensor y = matmul(x, w.t());
        return bias == null ? y : binary(BinaryOp.ADD, y, bias);
    }

    /**
     * Causal (or full) scaled dot-product attention with grouped key/value heads:
     * q [B, T, H, D], k and v [B, S, Hkv, D] with H % Hkv == 0 (query head h reads kv head h / (H/Hkv)).
     * When causal, query t sits at absolute position S - T + t and sees keys 0..S-T+t (a KV cache holds S-T
     * earlier positions). Returns [B, T, H, D].
     */
    Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal);

    // ---------------------------------------------------------------- elementwise

    /** a op b with numpy broadcasting. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /** a op s for every element. */
    Tensor scalarOp(BinaryOp op, Tensor a, float s);

    Tensor unary(UnaryOp op, Tensor a);

    /** silu(gate) * up, the SwiGLU product of Llama's MLP; shapes equal. */
    Tensor swiglu(Tensor gate, Tensor up);

    /** Where mask (broadcast to a) is non-zero, {@code value}; elsewhere a. */
    Tensor maskedFill(Tensor a, Tensor mask, float value);

    /** Where cond is non-zero, a; elsewhere b (all three broadcast). */
    Tensor where(Tensor cond, Tensor a, Tensor b);

    /** dst += src in place (same shape; dst writable). How gradients accumulate. */
    void addInPlace(Tensor dst, Tensor src);

    // ---------------------------------------------------------------- reductions

    /** Reduces one dim; keepDim leaves it as size 1. MEAN of an empty dim is NaN, MAX/MIN of one is an error. */
    Tensor reduce(ReduceOp op, Tensor a, int dim, boolean keepDim);

    /** Max value and the first index where it occurs, along {@code dim} (dim removed). NaN counts as the largest. */
    Indexed argmax(Tensor a, int dim);

    /** Softmax over the last dim, stable (subtracts the row max); -inf entries get 0. */
    Tensor softmax(Tensor a);

    /** log(softmax) over the last dim, stable (x - max - log sum exp(x - max)). */
    Tensor logSoftmax(Tensor a);

    /** x / sqrt(mean(x^2) + eps) * weight over the last dim (weight [C] or null), computed in F32 as Llama does. */
    Tensor rmsNorm(Tensor x, Tensor weight, float eps);

    /** (x - mean) / sqrt(var + eps) * weight + bias over the last dim (biased variance; weight, bias may be null). */
    Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps);

    /**
     * Rotary position embedding of x [..., T, H, D] with cos, sin [T, D/2] (row t = position of token t).
     * Rotate-half pairs element i with i + D/2 (Hugging Face Llama); interleaved pairs 2i with 2i+1 (Meta, GPT-J).
     * out_a = a cos - b sin, out_b = b cos + a sin. Backward is the same op with -sin.
     */
    Tensor rope(Tensor x, Tensor cos, Tensor sin, boolean interleaved);

    // ---------------------------------------------------------------- indexing

    /** Rows of table [V, C] for ids -> [ids.length, C]; an id outside [0, V) is an error naming it. */
    Tensor embedding(Tensor table, int[] ids);

    /** The k largest (or smallest) along dim, sorted; ties keep the lower index first. */
    Indexed topk(Tensor a, int k, int dim, boolean largest);

    /** Stable sort along dim; NaN sorts as the largest value. */
    Indexed sort(Tensor a, int dim, boolean descending);

    /** Joins tensors along dim; all other dims must agree. */
    Tensor concat(int dim, Tensor... ts);

    /** Entries {@code index} of dim (repeats allowed) -> same rank, dim size = index.length. */
    Tensor indexSelect(Tensor a, int dim, int[] index);

    /**
     * Scatter-add, the backward of {@link #embedding} and {@link #indexSelect}: for each i in order,
     * dst.select(dim, index[i]) += src.select(dim, i) (repeated indices accumulate). dst must be writable;
     * src has dst's shape except size index.length along dim. This default runs on any backend through
     * {@link #addInPlace}; backends may override it with a faster loop.
     */
    default void indexAdd(Tensor dst, int dim, int[] index, Tensor src) {
        int d = Shapes.dim(dim, dst.shape());
        int[] expect = dst.shape();
        expect[d] = index.length;
        if (!java.util.Arrays.equals(expect, src.shape()))
            throw new ShapeException("indexAdd: source " + Shapes.str(src.shape()) + " does not match destination "
                    + Shapes.str(dst.shape()) + " with " + index.length + " indices along dim " + dim);
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= dst.size(d))
                throw new ShapeException("indexAdd index " + index[i] + " is out of range for dim " + dim + " of shape " + Shapes.str(dst.shape()));
            addInPlace(dst.select(d, index[i]), src.select(d, i));
        }
    }

    // ---------------------------------------------------------------- device residency (no-ops on the CPU)

    /**
     * Hint: these tensors are weights, read by many later calls and not modified in place until {@link #release}d.
     * A device backend keeps a copy on the device (for 2-D weights W [out, in] used by {@link #linear}/{@link #matmul});
     * CPU backends ignore it.
     */
    default void keepResident(Tensor... weights) {}

    /** Drops device copies of these tensors (call after modifying a kept weight in place); CPU backends ignore it. */
    default void release(Tensor... weights) {}

    /** Frees device resources this backend holds (idempotent); CPU backends hold none. */
    @Override
    default void close() {}

    // ---------------------------------------------------------------- conveniences

    default Tensor add(Tensor a, Tensor b) { return binary(BinaryOp.ADD, a, b); }
    default Tensor sub(Tensor a, Tensor b) { return binary(BinaryOp.SUB, a, b); }
    default Tensor mul(Tensor a, Tensor b) { return binary(BinaryOp.MUL, a, b); }
    default Tensor div(Tensor a, Tensor b) { return binary(BinaryOp.DIV, a, b); }
    default Tensor scale(Tensor a, float s) { return scalarOp(BinaryOp.MUL, a, s); }
    default Tensor sum(Tensor a, int dim, boolean keepDim) { return reduce(ReduceOp.SUM, a, dim, keepDim); }
    default Tensor mean(Tensor a, int dim, boolean keepDim) { return reduce(ReduceOp.MEAN, a, dim, keepDim); }
    default Tensor max(Tensor a, int dim, boolean keepDim) { return reduce(ReduceOp.MAX, a, dim, keepDim); }
    default Tensor copy(Tensor a) { return a.copy(); }
}
