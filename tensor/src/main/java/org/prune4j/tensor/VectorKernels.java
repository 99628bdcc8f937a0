package org.prune4j.tensor;

/**
 * The fast CPU backend: JDK Vector API kernels (SPECIES_PREFERRED, no lane count hard-coded),
 * parallel on a shared ForkJoinPool. IN PROGRESS: ops not yet vectorised delegate to the oracle.
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

    @Override public String name() { return "vector[" + threads + " threads]"; }

    private static final ScalarKernels S = ScalarKernels.INSTANCE;

    @Override public Tensor matmul(Tensor a, Tensor b) { return org.prune4j.tensor.gemm.Matmul.matmul(a, b, threads); }
    @Override public Tensor linear(Tensor x, Tensor w, Tensor bias) { return org.prune4j.tensor.gemm.Matmul.linear(x, w, bias, threads); }
    @Override public Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal) { return S.attention(q, k, v, scale, causal); }
    @Override public Tensor binary(BinaryOp op, Tensor a, Tensor b) { return S.binary(op, a, b); }
    @Override public Tensor scalarOp(BinaryOp op, Tensor a, float s) { return S.scalarOp(op, a, s); }
    @Override public Tensor unary(UnaryOp op, Tensor a) { return S.unary(op, a); }
    @Override public Tensor swiglu(Tensor gate, Tensor up) { return S.swiglu(gate, up); }
    @Override public Tensor maskedFill(Tensor a, Tensor mask, float value) { return S.maskedFill(a, mask, value); }
    @Override public Tensor where(Tensor cond, Tensor a, Tensor b) { return S.where(cond, a, b); }
    @Override public void addInPlace(Tensor dst, Tensor src) { S.addInPlace(dst, src); }
    @Override public Tensor reduce(ReduceOp op, Tensor a, int dim, boolean keepDim) { return S.reduce(op, a, dim, keepDim); }
    @Override public Indexed argmax(Tensor a, int dim) { return S.argmax(a, dim); }
    @Override public Tensor softmax(Tensor a) { return S.softmax(a); }
    @Override public Tensor logSoftmax(Tensor a) { return S.logSoftmax(a); }
    @Override public Tensor rmsNorm(Tensor x, Tensor weight, float eps) { return S.rmsNorm(x, weight, eps); }
    @Override public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) { return S.layerNorm(x, weight, bias, eps); }
    @Override public Tensor rope(Tensor x, Tensor cos, Tensor sin, boolean interleaved) { return S.rope(x, cos, sin, interleaved); }
    @Override public Tensor embedding(Tensor table, int[] ids) { return S.embedding(table, ids); }
    @Override public Indexed topk(Tensor a, int k, int dim, boolean largest) { return S.topk(a, k, dim, largest); }
    @Override public Indexed sort(Tensor a, int dim, boolean descending) { return S.sort(a, dim, descending); }
    @Override public Tensor concat(int dim, Tensor... ts) { return S.concat(dim, ts); }
    @Override public Tensor indexSelect(Tensor a, int dim, int[] index) { return S.indexSelect(a, dim, index); }
}
