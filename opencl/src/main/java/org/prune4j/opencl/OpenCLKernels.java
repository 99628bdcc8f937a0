package org.prune4j.opencl;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import org.prune4j.tensor.AttentionShape;
import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.Indexed;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.MatmulShape;
import org.prune4j.tensor.ReduceOp;
import org.prune4j.tensor.RopeShape;
import org.prune4j.tensor.Rows;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;
import org.prune4j.tensor.VectorKernels;

/**
 * The {@link Kernels} of prune4j on one OpenCL device, through Aparapi. A session: open it, compute, close it —
 * {@link #close()} frees every device buffer and program deterministically (nothing is left to the GC).
 *
 * <pre>{@code
 * try (OpenCLKernels k = OpenCLKernels.open(Devices.select("opencl"))) {
 *     LlamaModel model = LlamaModel.load(dir, k);
 *     k.keepResident(weights);   // the model's matrices: resident from their second use (inference only)
 *     ... model.logits(tokens) ...
 * }
 * }</pre>
 *
 * <p><b>Where each op runs.</b> On the device, as OpenCL C kernels (kernels.cl, declared in {@link ClOps}):
 * {@code matmul} (batched tiled GEMM with local memory; GEMV kernels for 1–2 rows),
 * {@code attention} (fused online-softmax kernel with grouped KV heads, causal or full; head dim up to 512),
 * {@code softmax}, {@code logSoftmax}, {@code rmsNorm}, {@code layerNorm}, {@code rope}, {@code swiglu}, {@code unary},
 * {@code scalarOp}, {@code binary} (with broadcasting), {@code where}, {@code maskedFill}, {@code reduce} (sum, mean,
 * max, min along any dim). Products with a resident weight run as an Aparapi Java kernel ({@link ResidentGemmKernel})
 * whose weight buffer stays on the device. On the CPU ({@link VectorKernels}), by design: {@code argmax}, {@code topk},
 * {@code sort}, {@code concat}, {@code indexSelect}, {@code embedding}, {@code addInPlace} and {@code indexAdd} (data movement and
 * selection with nothing to gain from a round trip to the device), attention with a head dim above 512, and any op
 * code the device kernels do not know (see {@link ClCodes}).
 *
 * <p><b>Residency.</b> Inputs and results are host tensors (the {@link Kernels} contract), so activations move every
 * call; weights do not. A weight W [out, in] of {@code linear}/{@code matmul} whose storage is read-only (memory-mapped)
 * or that was registered with {@link #keepResident} stays on the device from its second use on: the first forward
 * pass uploads per call and marks the weights, the second uploads all of them together into one arena (see
 * {@link ResidentWeights}). A registered writable weight must not be modified in place while resident: call
 * {@link #release} after modifying it. Inputs of any layout or dtype (strided, broadcast, BF16/F16, mapped) are
 * made dense F32 on the host before upload.
 *
 * <p><b>Which device ran.</b> Every OpenCL C kernel proves it executed by writing a flag the host checks; the Java
 * kernel is checked against Aparapi's silent fall-back to its Java thread pool, which is refused with an exception.
 * {@link #launches()} counts device launches, {@link #lastKernel()} names the last one.
 */
public final class OpenCLKernels implements Kernels {
    private static final int MAX_GROUPS = 65536;
    private static final int ROW_WG = 128, EW_WG = 256, ATT_WG = 64, ATT_MAX_D = 512;

    private final ClDevice info;
    private final OpenCLDevice device;
    private final ClProgram program;
    private final ClOps ops;
    private final ResidentWeights weights;
    private final Kernels cpu;
    private long residentLaunches;
    private String lastKernel = "";
    private boolean closed;

    private OpenCLKernels(ClDevice info, int cpuThreads, ResidentWeightsFactory weightsFactory) {
        this.info = info;
        this.device = Devices.handle(info);
        if (device.getMaxWorkGroupSize() < EW_WG)
            throw new IllegalStateException("OpenCL device " + info.describe() + " allows work-groups of " + device.getMaxWorkGroupSize()
                    + " work-items; prune4j's kernels need " + EW_WG);
        this.program = ClProgram.build(device);
        this.ops = program.ops();
        this.weights = weightsFactory.create(device);
        this.cpu = new VectorKernels(cpuThreads);
    }

    /** The threads of the CPU-side ops. */
    @Override
    public int parallelism() { return cpu.parallelism(); }

    /** A session on {@code device}; the CPU-side ops use all cores. */
    public static OpenCLKernels open(ClDevice device) {
        return open(device, Runtime.getRuntime().availableProcessors());
    }

    /** A session on {@code device}; the ops delegated to the CPU use {@code cpuThreads} threads. */
    public static OpenCLKernels open(ClDevice device, int cpuThreads) {
        return new OpenCLKernels(device, cpuThreads, ResidentWeights::new);
    }

    /** A session whose weight arenas hold at most {@code arenaFloats} floats each and {@code budgetFloats} in all (tests). */
    static OpenCLKernels open(ClDevice device, int cpuThreads, long arenaFloats, long budgetFloats) {
        return new OpenCLKernels(device, cpuThreads, d -> new ResidentWeights(d, arenaFloats, budgetFloats));
    }

    private interface ResidentWeightsFactory {
        ResidentWeights create(OpenCLDevice device);
    }

    /** The device this session computes on. */
    public ClDevice device() {
        return info;
    }

    @Override
    public String name() {
        return "opencl[" + info.name() + "]";
    }

    /** Kernel launches that ran on the device so far (OpenCL C and resident GEMM). */
    public synchronized long launches() {
        return program.launches() + residentLaunches;
    }

    /** The last kernel that ran on the device: a kernels.cl name, or "residentGemm". */
    public synchronized String lastKernel() {
        return lastKernel;
    }

    /** What this session keeps on the device. */
    public Residency residency() {
        return weights.stats();
    }

    /** The weight cache (tests). */
    ResidentWeights weights() {
        return weights;
    }

    @Override
    public void keepResident(Tensor... ws) {
        for (Tensor w : ws) weights.keep(w);
    }

    @Override
    public void release(Tensor... ws) {
        for (Tensor w : ws) weights.release(w);
    }

    /** Frees every device buffer, arena and program of this session; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        weights.close();
        program.close();
    }

    private void open() {
        if (closed) throw new IllegalStateException(name() + " is closed");
    }

    // ---------------------------------------------------------------- products

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        MatmulShape s = MatmulShape.of(a, b);
        int[] out = s.outShape();
        if (Shapes.numel(out) == 0) return Tensor.zeros(out);
        if (s.k() == 0) return Tensor.zeros(out);
        open();
        if (b.rank() == 2) {
            ResidentWeights.Entry e = weights.lookup(b.t());
            if (e != null) return residentMatmul(e, a, out, s);
        }
        return deviceMatmul(a, b, s);
    }

    /** a [..., M, K] (all leading dims flattened into rows) @ W^T with W resident. */
    private Tensor residentMatmul(ResidentWeights.Entry e, Tensor a, int[] out, MatmulShape s) {
        int rows = Math.toIntExact(Shapes.numel(out) / s.n());
        float[] x = Dense.of(a);
        if (x.length != (long) rows * s.k()) throw new IllegalStateException("matmul rows mismatch " + Shapes.str(a.shape()));
        float[] y;
        if (e.blocks().size() == 1) {
            ResidentWeights.Block blk = e.blocks().get(0);
            y = blk.arena().multiply(x, rows, blk.rows(), s.k(), blk.wOff());
            countResident();
        } else {
            y = new float[Math.multiplyExact(rows, s.n())];
            for (ResidentWeights.Block blk : e.blocks()) {
                float[] part = blk.arena().multiply(x, rows, blk.rows(), s.k(), blk.wOff());
                countResident();
                for (int r = 0; r < rows; r++) System.arraycopy(part, r * blk.rows(), y, r * s.n() + blk.row0(), blk.rows());
            }
        }
        return Tensor.of(y, out);
    }

    private synchronized void countResident() {
        residentLaunches++;
        lastKernel = "residentGemm";
    }

    private Tensor deviceMatmul(Tensor a, Tensor b, MatmulShape s) {
        int m = s.m(), n = s.n(), k = s.k();
        boolean bT = b.transpose(-2, -1).isContiguous();
        float[] av = Dense.of(a);
        float[] bv = bT ? Dense.of(b.transpose(-2, -1)) : Dense.of(b);
        Tensor aView = Tensor.of(av, a.shape()).expand(s.aExpanded());
        Tensor bDense = Tensor.of(bv, bT ? b.transpose(-2, -1).shape() : b.shape());
        Tensor bView = (bT ? bDense.transpose(-2, -1) : bDense).expand(s.bExpanded());
        int batch = Math.toIntExact(s.batch());
        int[] offs = new int[3 * batch];
        for (int bi = 0; bi < batch; bi++) {
            offs[3 * bi] = Math.toIntExact(s.batchOffset(aView, bi));
            offs[3 * bi + 1] = Math.toIntExact(s.batchOffset(bView, bi));
            offs[3 * bi + 2] = Math.toIntExact((long) bi * m * n);
        }
        float[] c = new float[Math.toIntExact(Shapes.numel(s.outShape()))];
        if (bT && m <= 2) {
            long groups = Math.min(MAX_GROUPS, (long) m * ((n + 3) / 4));
            ops.gemv(Range.create2D(device, (int) groups * 64, batch, 64, 1), av, bv, c, offs, m, n, k, new int[1]);
        } else if (m <= 2) {
            long groups = Math.min(MAX_GROUPS, ((long) m * n + EW_WG - 1) / EW_WG);
            ops.gemvN(Range.create2D(device, (int) groups * EW_WG, batch, EW_WG, 1), av, bv, c, offs, m, n, k, new int[1]);
        } else {
            ops.gemm(Range.create3D(device, (n + 63) / 64 * 16, (m + 63) / 64 * 16, batch, 16, 16, 1), av, bv, c, offs, m, n, k, bT ? 1 : 0, new int[1]);
        }
        markProgram();
        return Tensor.of(c, s.outShape());
    }

    private synchronized void markProgram() {
        lastKernel = program.lastKernel();
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal) {
        AttentionShape s = AttentionShape.of(q, k, v);
        if (q.numel() == 0) return Tensor.zeros(q.shape());
        if (s.d() > ATT_MAX_D) return cpu.attention(q, k, v, scale, causal);
        open();
        float[] out = new float[Math.toIntExact(q.numel())];
        long rows = (long) s.b() * s.t() * s.h();
        ops.attention(program.range(rows * ATT_WG, ATT_WG, MAX_GROUPS), Dense.of(q), Dense.of(k), Dense.of(v), out,
                s.b(), s.t(), s.h(), s.d(), s.s(), s.hkv(), scale, causal ? 1 : 0, new int[1]);
        markProgram();
        return Tensor.of(out, q.shape());
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        int code = ClCodes.binary(op);
        if (code < 0) return cpu.binary(op, a, b);
        if (Shapes.numel(shape) == 0) return Tensor.zeros(shape);
        open();
        int n = Math.toIntExact(Shapes.numel(shape));
        float[] y = new float[n];
        ops.binary(ew(n), Dense.of(a), Dense.of(b), y, Dense.broadcastMeta(shape, a.shape(), b.shape()), n, code, new int[1]);
        markProgram();
        return Tensor.of(y, shape);
    }

    @Override
    public Tensor scalarOp(BinaryOp op, Tensor a, float s) {
        int code = ClCodes.binary(op);
        if (code < 0) return cpu.scalarOp(op, a, s);
        if (a.numel() == 0) return Tensor.zeros(a.shape());
        open();
        int n = Math.toIntExact(a.numel());
        float[] y = new float[n];
        ops.scalarOp(ew(n), Dense.of(a), y, n, code, s, new int[1]);
        markProgram();
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor a) {
        int code = ClCodes.unary(op);
        if (code < 0) return cpu.unary(op, a);
        if (a.numel() == 0) return Tensor.zeros(a.shape());
        open();
        int n = Math.toIntExact(a.numel());
        float[] y = new float[n];
        ops.unary(ew(n), Dense.of(a), y, n, code, new int[1]);
        markProgram();
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) {
        Shapes.requireSame("swiglu", gate.shape(), up.shape());
        if (gate.numel() == 0) return Tensor.zeros(gate.shape());
        open();
        int n = Math.toIntExact(gate.numel());
        float[] y = new float[n];
        ops.swiglu(ew(n), Dense.of(gate), Dense.of(up), y, n, new int[1]);
        markProgram();
        return Tensor.of(y, gate.shape());
    }

    @Override
    public Tensor maskedFill(Tensor a, Tensor mask, float value) {
        Shapes.requireBroadcastsTo("maskedFill", mask.shape(), a.shape());
        int[] shape = a.shape();
        return select(mask, Tensor.scalar(value), a, shape);
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) {
        return select(cond, a, b, Shapes.broadcast(cond.shape(), a.shape(), b.shape()));
    }

    private Tensor select(Tensor cond, Tensor a, Tensor b, int[] shape) {
        if (Shapes.numel(shape) == 0) return Tensor.zeros(shape);
        open();
        int n = Math.toIntExact(Shapes.numel(shape));
        float[] y = new float[n];
        ops.where3(ew(n), Dense.of(cond), Dense.of(a), Dense.of(b), y, Dense.broadcastMeta(shape, cond.shape(), a.shape(), b.shape()), n, new int[1]);
        markProgram();
        return Tensor.of(y, shape);
    }

    /** On the CPU: an in-place update of a host tensor gains nothing from a device round trip. */
    @Override
    public void addInPlace(Tensor dst, Tensor src) {
        cpu.addInPlace(dst, src);
    }

    /** On the CPU, like {@link #addInPlace}. */
    @Override
    public void indexAdd(Tensor dst, int dim, int[] index, Tensor src) {
        cpu.indexAdd(dst, dim, index, src);
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor a, int dim, boolean keepDim) {
        int d = Shapes.dim(dim, a.shape());
        if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && a.size(d) == 0)
            throw new ShapeException(op + " over empty dim " + dim + " of shape " + Shapes.str(a.shape()));
        int code = ClCodes.reduce(op);
        if (code < 0) return cpu.reduce(op, a, dim, keepDim);
        int[] outShape = Rows.reducedShape(a.shape(), d, keepDim);
        int cols = a.size(d);
        int rows = Math.toIntExact(Shapes.numel(outShape));
        if (rows == 0) return Tensor.zeros(outShape);
        if (cols == 0) return Tensor.full(op == ReduceOp.MEAN ? Float.NaN : 0f, outShape);
        open();
        float[] y = new float[rows];
        ops.reduceRows(rowRange(rows), Dense.of(Rows.moveToLast(a, d)), y, rows, cols, code, new int[1]);
        markProgram();
        return Tensor.of(y, outShape);
    }

    /** On the CPU: a selection whose result is consumed on the host (greedy decoding, metrics). */
    @Override
    public Indexed argmax(Tensor a, int dim) {
        return cpu.argmax(a, dim);
    }

    @Override
    public Tensor softmax(Tensor a) {
        return lastDimSoftmax(a, false);
    }

    @Override
    public Tensor logSoftmax(Tensor a) {
        return lastDimSoftmax(a, true);
    }

    private Tensor lastDimSoftmax(Tensor a, boolean log) {
        if (a.numel() == 0) return Tensor.zeros(a.shape());
        open();
        int cols = a.rank() == 0 ? 1 : a.size(-1);
        int rows = Math.toIntExact(a.numel() / cols);
        float[] y = new float[Math.toIntExact(a.numel())];
        ops.softmax(rowRange(rows), Dense.of(a), y, rows, cols, log ? 1 : 0, new int[1]);
        markProgram();
        return Tensor.of(y, a.shape());
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        checkNormParam("rmsNorm", x, weight);
        if (x.numel() == 0) return Tensor.zeros(x.shape());
        open();
        int cols = x.rank() == 0 ? 1 : x.size(-1);
        int rows = Math.toIntExact(x.numel() / cols);
        float[] y = new float[Math.toIntExact(x.numel())];
        ops.rmsNorm(rowRange(rows), Dense.of(x), weight == null ? new float[1] : Dense.of(weight), y, rows, cols,
                weight == null ? 0 : 1, eps, new int[1]);
        markProgram();
        return Tensor.of(y, x.shape());
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        checkNormParam("layerNorm", x, weight);
        checkNormParam("layerNorm", x, bias);
        if (x.numel() == 0) return Tensor.zeros(x.shape());
        open();
        int cols = x.rank() == 0 ? 1 : x.size(-1);
        int rows = Math.toIntExact(x.numel() / cols);
        float[] y = new float[Math.toIntExact(x.numel())];
        ops.layerNorm(rowRange(rows), Dense.of(x), weight == null ? new float[1] : Dense.of(weight),
                bias == null ? new float[1] : Dense.of(bias), y, rows, cols, weight == null ? 0 : 1, bias == null ? 0 : 1, eps, new int[1]);
        markProgram();
        return Tensor.of(y, x.shape());
    }

    /** The same check and message as the oracle's. */
    private static void checkNormParam(String op, Tensor x, Tensor p) {
        if (p != null && (p.rank() != 1 || x.rank() == 0 || p.size(0) != x.size(-1)))
            throw new ShapeException(op + ": parameter of shape " + Shapes.str(p.shape()) + " does not match the last dim of input " + Shapes.str(x.shape()));
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin, boolean interleaved) {
        RopeShape s = RopeShape.of(x, cos, sin);
        if (x.numel() == 0) return Tensor.zeros(x.shape());
        open();
        int rows = Math.toIntExact(x.numel() / s.d());
        float[] y = new float[Math.toIntExact(x.numel())];
        ops.rope(ew((long) rows * (s.d() / 2)), Dense.of(x), Dense.of(cos), Dense.of(sin), y, rows, s.t(), s.h(), s.d(),
                interleaved ? 1 : 0, new int[1]);
        markProgram();
        return Tensor.of(y, x.shape());
    }

    // ---------------------------------------------------------------- indexing (CPU, see the class comment)

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        return cpu.embedding(table, ids);
    }

    @Override
    public Indexed topk(Tensor a, int k, int dim, boolean largest) {
        return cpu.topk(a, k, dim, largest);
    }

    @Override
    public Indexed sort(Tensor a, int dim, boolean descending) {
        return cpu.sort(a, dim, descending);
    }

    @Override
    public Tensor concat(int dim, Tensor... ts) {
        return cpu.concat(dim, ts);
    }

    @Override
    public Tensor indexSelect(Tensor a, int dim, int[] index) {
        return cpu.indexSelect(a, dim, index);
    }

    // ---------------------------------------------------------------- ranges

    private Range ew(long items) {
        return program.range(items, EW_WG, MAX_GROUPS);
    }

    private Range rowRange(int rows) {
        return program.range((long) rows * ROW_WG, ROW_WG, MAX_GROUPS);
    }
}
