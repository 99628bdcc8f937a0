package org.prune4j.tensor;

/**
 * The fast CPU backend: JDK Vector API kernels (SPECIES_PREFERRED, no lane count hard-coded), parallel on
 * the shared pool ({@link Parallel}) with at most {@code threads} chunks per op. A thin dispatcher: each op
 * family lives in its own package-private class (VecElementwise, VecReduce, VecSoftmax, VecNorm, VecRope,
 * VecAttention, VecIndexing, VecSort). Dense F32 arrays take the fast paths; other layouts and storage
 * are read through strides or converted once. matmul/linear: see the gemm package.
 */
public final class VectorKernels implements Kernels {
    private final int threads;

    public VectorKernels(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    /** One thread per available core. */
    public VectorKernels() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public int threads() { return threads; }

    @Override public int parallelism() { return threads; }

    @Override public String name() { return "vector[" + threads + " threads]"; }

    private static final ScalarKernels S = ScalarKernels.INSTANCE;

    @Override public Tensor matmul(Tensor a, Tensor b) { return org.prune4j.tensor.gemm.Matmul.matmul(a, b, threads); }
    @Override public Tensor linear(Tensor x, Tensor w, Tensor bias) { return org.prune4j.tensor.gemm.Matmul.linear(x, w, bias, threads); }
    @Override public boolean hasSparseKernels() { return true; }
    @Override public boolean sparseDecodeWins(NMWeight w, double maxBytes) { return org.prune4j.tensor.gemm.NMGemv.beatsDense(w, maxBytes); }
    @Override public Tensor linearNM(Tensor x, NMWeight w, Tensor bias) { return org.prune4j.tensor.gemm.NMMatmul.linear(x, w, bias, threads); }
    @Override public Tensor linearNM(Tensor x, org.prune4j.tensor.gemm.NMPanel w, Tensor bias) { return org.prune4j.tensor.gemm.NMMatmul.linear(x, w, bias, threads); }
    @Override public boolean prefersNMPanel(NMWeight w) { return org.prune4j.tensor.gemm.NMGemv.usesPanel(w); }
    @Override public Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal) { return VecAttention.attention(threads, q, k, v, scale, causal); }
    @Override public Tensor[] attentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, float scale, boolean causal) {
        return VecAttentionGrad.backward(threads, q, k, v, dOut, scale, causal);
    }

    // elementwise: VecElementwise
    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return VecElementwise.binary(threads, op, a, b); }
    @Override public Tensor scalarOp(BinaryOp op, Tensor a, float s) { return VecElementwise.scalarOp(threads, op, a, s); }
    @Override public Tensor unary(UnaryOp op, Tensor a) { return VecElementwise.unary(threads, op, a); }
    @Override public Tensor swiglu(Tensor gate, Tensor up) { return VecElementwise.swiglu(threads, gate, up); }
    @Override public Tensor[] swigluBackward(Tensor gate, Tensor up, Tensor dy) { return VecElementwise.swigluBackward(threads, gate, up, dy); }
    @Override public Tensor maskedFill(Tensor a, Tensor mask, float value) { return VecElementwise.maskedFill(threads, a, mask, value); }
    @Override public Tensor where(Tensor cond, Tensor a, Tensor b) { return VecElementwise.where(threads, cond, a, b); }
    @Override public void addInPlace(Tensor dst, Tensor src) { VecElementwise.addInPlace(threads, dst, src); }

    // reductions and row ops: VecReduce, VecSoftmax, VecNorm, VecRope
    @Override public Tensor reduce(ReduceOp op, Tensor a, int dim, boolean keepDim) { return VecReduce.reduce(threads, op, a, dim, keepDim); }
    @Override public Indexed argmax(Tensor a, int dim) { return VecReduce.argmax(threads, a, dim); }
    @Override public Tensor softmax(Tensor a) { return VecSoftmax.softmax(threads, a, false); }
    @Override public Tensor logSoftmax(Tensor a) { return VecSoftmax.softmax(threads, a, true); }
    @Override public Tensor rmsNorm(Tensor x, Tensor weight, float eps) { return VecNorm.rmsNorm(threads, x, weight, eps); }
    @Override public Tensor[] rmsNormBackward(Tensor x, Tensor weight, Tensor dy, float eps) { return VecNorm.rmsNormBackward(threads, x, weight, dy, eps); }
    @Override public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) { return VecNorm.layerNorm(threads, x, weight, bias, eps); }
    @Override public Tensor rope(Tensor x, Tensor cos, Tensor sin, boolean interleaved) { return VecRope.rope(threads, x, cos, sin, interleaved); }

    // indexing: VecIndexing, VecSort
    @Override public Tensor embedding(Tensor table, int[] ids) { return VecIndexing.embedding(threads, table, ids); }
    @Override public Indexed topk(Tensor a, int k, int dim, boolean largest) { return VecSort.topk(threads, a, k, dim, largest); }
    @Override public Indexed sort(Tensor a, int dim, boolean descending) { return VecSort.sort(threads, a, dim, descending); }
    @Override public Tensor concat(int dim, Tensor... ts) { return VecIndexing.concat(threads, dim, ts); }
    @Override public Tensor indexSelect(Tensor a, int dim, int[] index) { return VecIndexing.indexSelect(threads, a, dim, index); }
}
