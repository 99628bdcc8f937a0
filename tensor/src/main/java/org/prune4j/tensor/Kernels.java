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

    /**
     * How many CPU threads this backend computes with on the CPU, and so how many a caller's own CPU loops beside it
     * (a Cholesky, AdamW, widening a checkpoint) should use, so that one --threads setting governs the whole run:
     * the vector backend's thread count, the OpenCL backend's CPU-side thread count, 1 for the scalar oracle.
     */
    default int parallelism() { return 1; }

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
     * x [..., K] @ Wᵀ (+ bias [N]) -> [..., N] with W [N, K] stored N:M-compressed: the linear layers of a pruned model,
     * reading only the kept weights. This default decompresses W and calls {@link #linear}: the oracle the sparse
     * kernels are tested against, and what a backend without them (OpenCL) runs.
     */
    default Tensor linearNM(Tensor x, NMWeight w, Tensor bias) {
        return linear(x, w.decompress(), bias);
    }

    /**
     * The same with W held as {@link org.prune4j.tensor.gemm.NMPanel}, the decode layout that a layer keeps instead of
     * the NMWeight where {@link #prefersNMPanel} says so (one compressed copy per weight). This default decompresses.
     */
    default Tensor linearNM(Tensor x, org.prune4j.tensor.gemm.NMPanel w, Tensor bias) {
        return linear(x, w.decompress(), bias);
    }

    /**
     * True when this backend's N:M decode kernel reads {@code w} as an {@link org.prune4j.tensor.gemm.NMPanel}: then a
     * compressed layer keeps the panel only (and the prefill GEMM decodes from it); false keeps the NMWeight.
     */
    default boolean prefersNMPanel(NMWeight w) { return false; }

    /** True when {@link #linearNM} reads the compressed weight (worth using); false when it decompresses per call. */
    default boolean hasSparseKernels() { return false; }

    /**
     * True when decoding (one row of x) through {@link #linearNM} on {@code w} is expected to beat {@link #linear} on
     * its dense weight on this machine, reading at most {@code maxBytes} of the dense bytes: what
     * {@code --sparse-kernels auto} asks, so that auto never picks a kernel slower than dense. False by default.
     */
    default boolean sparseDecodeWins(NMWeight w, double maxBytes) { return false; }

    /**
     * Causal (or full) scaled dot-product attention with grouped key/value heads:
     * q [B, T, H, D], k and v [B, S, Hkv, D] with H % Hkv == 0 (query head h reads kv head h / (H/Hkv)).
     * When causal, query t sits at absolute position S - T + t and sees keys 0..S-T+t (a KV cache holds S-T
     * earlier positions). Returns [B, T, H, D].
     */
    Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal);

    /**
     * The causal mask of scores [T, S]: 1 where key j lies after query t's absolute position S - T + t (the first
     * S - T keys are earlier context, e.g. a KV cache), 0 where the query sees it. One definition for every backend
     * and the autograd op.
     */
    static Tensor causalMask(int t, int s) {
        return windowMask(t, s, 0);
    }

    /**
     * Gradients of {@link #attention} from dOut = d loss / d out [B, T, H, D]: {dq [B, T, H, D], dk [B, S, Hkv, D],
     * dv [B, S, Hkv, D]}, key and value gradients summed over the query heads that share them. The probabilities are
     * recomputed from q and k, so training keeps no [T, S] matrix alive between forward and backward. This default
     * (the oracle, and what backends without a fused kernel run) regroups q as [B, Hkv, G*T, D], the G query heads of
     * a kv head stacked, so that one batched product per term both computes the query gradients and sums the key and
     * value gradients over the group: P = softmax(q k^T scale), dV = P^T dO, dP = dO V^T, dS = P (dP - rowsum(dP P)) scale,
     * dQ = dS K, dK = dS^T Q.
     */
    default Tensor[] attentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, boolean causal) {
        return groupedAttentionBackward(q, k, v, dOut, scale, causal, 0);
    }

    /**
     * Causal attention with a sliding window (Mistral's {@code sliding_window}): query t, at absolute position
     * p = S - T + t, sees keys max(0, p - window + 1) .. p, i.e. itself and the window - 1 before it. Shapes as in
     * {@link #attention}. This default is the oracle and runs on every backend: when no query's window excludes a key
     * (window >= S) it is {@link #attention}; otherwise queries go in blocks of {@link #WINDOW_BLOCK}, each against only the
     * keys its window reaches, through the fused causal kernel where the window does not cut into that slice and a
     * masked product (scores [B, Hkv, G·block, window + block]) where it does. So memory stays O(block · window).
     */
    default Tensor slidingAttention(Tensor q, Tensor k, Tensor v, float scale, int window) {
        AttentionShape s = AttentionShape.of(q, k, v);
        if (window < 1) throw new IllegalArgumentException("sliding window must be >= 1, got " + window);
        int t = s.t(), len = s.s();
        if (window >= len || t == 0) return attention(q, k, v, scale, true);
        java.util.List<Tensor> parts = new java.util.ArrayList<>();
        for (int t0 = 0; t0 < t; t0 += WINDOW_BLOCK) {
            int tb = Math.min(WINDOW_BLOCK, t - t0);
            int p0 = len - t + t0, p1 = p0 + tb - 1;             // absolute positions of the block's first and last query
            int lo = Math.max(0, p0 - window + 1), hi = p1 + 1;  // keys [lo, hi) reach the block
            Tensor qb = q.narrow(1, t0, tb), kb = k.narrow(1, lo, hi - lo), vb = v.narrow(1, lo, hi - lo);
            if (p1 - window + 1 <= lo) parts.add(attention(qb, kb, vb, scale, true)); // the window cuts nothing off this slice
            else parts.add(maskedAttention(qb, kb, vb, scale, windowMask(tb, hi - lo, window)));
        }
        return parts.size() == 1 ? parts.get(0) : concat(1, parts.toArray(Tensor[]::new));
    }

    /** Query rows per block of {@link #slidingAttention}'s default. */
    int WINDOW_BLOCK = 64;

    /**
     * Gradients of {@link #slidingAttention}: {dq, dk, dv} as in {@link #attentionBackward}, with the window's mask added
     * to the causal one. This default composes products (the oracle, and what backends without a fused windowed
     * backward run); with window >= S it is {@link #attentionBackward}.
     */
    default Tensor[] slidingAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, int window) {
        if (window < 1) throw new IllegalArgumentException("sliding window must be >= 1, got " + window);
        if (window >= k.size(1)) return attentionBackward(q, k, v, dOut, scale, true);
        return groupedAttentionBackward(q, k, v, dOut, scale, true, window);
    }

    /**
     * 1 where query i of T (the last T of S positions) must not see key j: j after it (causal), or, with window > 0,
     * j at or before its position minus the window. [T, S].
     */
    private static Tensor windowMask(int t, int len, int window) {
        float[] m = new float[Math.multiplyExact(t, len)];
        for (int i = 0; i < t; i++) {
            int p = len - t + i;
            for (int j = 0; j < len; j++) if (j > p || window > 0 && j <= p - window) m[i * len + j] = 1f;
        }
        return Tensor.of(m, t, len);
    }

    /** softmax(q kᵀ scale, masked where mask [T, S] is 1) v, grouped as in {@link #attentionBackward}: [B, T, H, D]. */
    private Tensor maskedAttention(Tensor q, Tensor k, Tensor v, float scale, Tensor mask) {
        AttentionShape s = AttentionShape.of(q, k, v);
        int b = s.b(), t = s.t(), h = s.h(), d = s.d(), len = s.s(), hkv = s.hkv(), g = s.group();
        Tensor qg = q.permute(0, 2, 1, 3).reshape(b, hkv, g * t, d);                // [B, Hkv, G*T, D]
        Tensor kh = k.permute(0, 2, 1, 3), vh = v.permute(0, 2, 1, 3);             // [B, Hkv, S, D]
        Tensor scores = scale(matmul(qg, kh.t()), scale);                           // [B, Hkv, G*T, S]
        scores = maskedFill(scores, mask.unsqueeze(0).expand(g, t, len).reshape(g * t, len), Float.NEGATIVE_INFINITY);
        Tensor out = matmul(softmax(scores), vh);                                   // [B, Hkv, G*T, D]
        return out.view(b, hkv, g, t, d).reshape(b, h, t, d).permute(0, 2, 1, 3).contiguous();
    }

    /** The composed backward of {@link #attentionBackward} (causal or not) and, with window > 0, of {@link #slidingAttention}. */
    private Tensor[] groupedAttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, boolean causal, int window) {
        AttentionShape s = AttentionShape.of(q, k, v);
        Shapes.requireSame("attention backward: gradient of the output vs q", q.shape(), dOut.shape());
        int b = s.b(), t = s.t(), h = s.h(), d = s.d(), len = s.s(), hkv = s.hkv(), g = s.group();
        Tensor qg = q.permute(0, 2, 1, 3).reshape(b, hkv, g * t, d);                // [B, Hkv, G*T, D]
        Tensor kh = k.permute(0, 2, 1, 3), vh = v.permute(0, 2, 1, 3);             // [B, Hkv, S, D]
        Tensor scores = scale(matmul(qg, kh.t()), scale);                           // [B, Hkv, G*T, S]
        if (causal) {
            // row g*T + i of the grouped scores is query i: it sees keys up to S - T + i (and, windowed, after S - T + i - window)
            Tensor mask = windowMask(t, len, window).unsqueeze(0).expand(g, t, len).reshape(g * t, len);
            scores = maskedFill(scores, mask, Float.NEGATIVE_INFINITY);
        }
        Tensor p = softmax(scores);
        Tensor dOutG = dOut.permute(0, 2, 1, 3).reshape(b, hkv, g * t, d);          // [B, Hkv, G*T, D]
        Tensor dv = matmul(p.t(), dOutG).permute(0, 2, 1, 3).contiguous();
        Tensor dp = matmul(dOutG, vh.t());                                          // [B, Hkv, G*T, S]
        Tensor ds = scale(mul(p, sub(dp, sum(mul(dp, p), -1, true))), scale);
        Tensor dq = matmul(ds, kh).view(b, hkv, g, t, d).reshape(b, h, t, d).permute(0, 2, 1, 3).contiguous();
        Tensor dk = matmul(ds.t(), qg).permute(0, 2, 1, 3).contiguous();
        return new Tensor[] {dq, dk, dv};
    }

    // ---------------------------------------------------------------- elementwise

    /** a op b with numpy broadcasting. */
    Tensor binary(BinaryOp op, Tensor a, Tensor b);

    /** a op s for every element. */
    Tensor scalarOp(BinaryOp op, Tensor a, float s);

    Tensor unary(UnaryOp op, Tensor a);

    /** silu(gate) * up, the SwiGLU product of Llama's MLP; shapes equal. */
    Tensor swiglu(Tensor gate, Tensor up);

    /**
     * Gradients of {@link #swiglu} from dy: {d gate = dy up silu'(gate), d up = dy silu(gate)}, with
     * silu'(g) = s + silu(g) (1 - s), s = sigmoid(g). Training's MLP backward in one pass over the three inputs; this
     * default composes elementwise ops (the oracle).
     */
    default Tensor[] swigluBackward(Tensor gate, Tensor up, Tensor dy) {
        Shapes.requireSame("swiglu backward: gate vs up", gate.shape(), up.shape());
        Shapes.requireSame("swiglu backward: gradient vs gate", gate.shape(), dy.shape());
        Tensor s = unary(UnaryOp.SIGMOID, gate), silu = unary(UnaryOp.SILU, gate);
        Tensor siluGrad = add(s, mul(silu, scalarOp(BinaryOp.ADD, unary(UnaryOp.NEG, s), 1f)));
        return new Tensor[] {mul(mul(dy, up), siluGrad), mul(dy, silu)};
    }

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

    /**
     * Gradients of {@link #rmsNorm} from dy: {dx, d weight} (d weight null when weight is null). With r = 1/sqrt(mean(x^2) + eps),
     * xhat = x r and g = dy weight: dx = r (g - xhat mean(g xhat)) per row, d weight = the sum over rows of dy xhat. This
     * default composes ops (the oracle); fast backends do it in one pass per row.
     */
    default Tensor[] rmsNormBackward(Tensor x, Tensor weight, Tensor dy, float eps) {
        ScalarKernels.checkNormParam("rmsNorm backward", x, weight);
        Shapes.requireSame("rmsNorm backward: gradient vs input", x.shape(), dy.shape());
        Tensor r = unary(UnaryOp.RSQRT, scalarOp(BinaryOp.ADD, mean(unary(UnaryOp.SQUARE, x), -1, true), eps)); // [..., 1]
        Tensor xhat = mul(x, r);
        Tensor dw = null;
        if (weight != null) {
            dw = mul(dy, xhat);
            while (dw.rank() > 1) dw = sum(dw, 0, false);                                                     // [C]
        }
        Tensor g = weight == null ? dy : mul(dy, weight);                                                     // dL/dxhat
        Tensor proj = mean(mul(g, xhat), -1, true);                                                           // [..., 1]
        return new Tensor[] {mul(r, sub(g, mul(xhat, proj))), dw};
    }

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
