package org.prune4j.tensor;

import java.util.Arrays;
import java.util.Comparator;

/**
 * The oracle: every op as the plainest loop over logical indices, accumulating in double. Slow on
 * purpose and obviously right; fast backends are tested against it.
 */
public final class ScalarKernels implements Kernels {
    public static final ScalarKernels INSTANCE = new ScalarKernels();

    @Override
    public String name() {
        return "scalar";
    }

    // ---------------------------------------------------------------- products

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        MatmulShape s = MatmulShape.of(a, b);
        float[] out = new float[Shapes.checkedArrayLength(s.outShape())];
        Tensor ea = a.expand(s.aExpanded()), eb = b.expand(s.bExpanded());
        for (long bi = 0; bi < s.batch(); bi++) {
            long ao = s.batchOffset(ea, bi), bo = s.batchOffset(eb, bi);
            long ars = ea.stride(-2), acs = ea.stride(-1), brs = eb.stride(-2), bcs = eb.stride(-1);
            for (int i = 0; i < s.m(); i++)
                for (int j = 0; j < s.n(); j++) {
                    double acc = 0;
                    for (int p = 0; p < s.k(); p++)
                        acc += (double) a.storage().getFloat(ao + i * ars + p * acs) * b.storage().getFloat(bo + p * brs + j * bcs);
                    out[(int) ((bi * s.m() + i) * s.n() + j)] = (float) acc;
                }
        }
        return Tensor.of(out, s.outShape());
    }

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, float scale, boolean causal) {
        AttentionShape s = AttentionShape.of(q, k, v);
        float[] out = new float[Shapes.checkedArrayLength(q.shape())];
        // row-major copies: element (b, n, h, d) of a [B, N, Heads, D] operand is at ((b N + n) Heads + h) D + d
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray();
        int hd = s.h() * s.d(), kvd = s.hkv() * s.d();
        double[] w = new double[s.s()];
        for (int b = 0; b < s.b(); b++)
            for (int h = 0; h < s.h(); h++) {
                int kh = h / s.group();
                for (int t = 0; t < s.t(); t++) {
                    int visible = causal ? s.s() - s.t() + t + 1 : s.s();
                    int qo = (b * s.t() + t) * hd + h * s.d();
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < visible; j++) {
                        int ko = (b * s.s() + j) * kvd + kh * s.d();
                        double dot = 0;
                        for (int d = 0; d < s.d(); d++) dot += (double) qa[qo + d] * ka[ko + d];
                        w[j] = dot * scale;
                        max = Math.max(max, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < visible; j++) sum += (w[j] = Math.exp(w[j] - max));
                    for (int d = 0; d < s.d(); d++) {
                        double acc = 0;
                        for (int j = 0; j < visible; j++) acc += w[j] * va[(b * s.s() + j) * kvd + kh * s.d() + d];
                        out[qo + d] = visible == 0 ? 0f : (float) (acc / sum);
                    }
                }
            }
        return Tensor.of(out, q.shape());
    }

    // ---------------------------------------------------------------- elementwise

    @Override
    public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(a.shape(), b.shape());
        Tensor ea = a.expand(shape), eb = b.expand(shape);
        float[] out = new float[Shapes.checkedArrayLength(shape)];
        for (int i = 0; i < out.length; i++) out[i] = op.apply(ea.getFlat(i), eb.getFlat(i));
        return Tensor.of(out, shape);
    }

    @Override
    public Tensor scalarOp(BinaryOp op, Tensor a, float s) {
        float[] out = new float[Shapes.checkedArrayLength(a.shape())];
        for (int i = 0; i < out.length; i++) out[i] = op.apply(a.getFlat(i), s);
        return Tensor.of(out, a.shape());
    }

    @Override
    public Tensor unary(UnaryOp op, Tensor a) {
        float[] out = new float[Shapes.checkedArrayLength(a.shape())];
        for (int i = 0; i < out.length; i++) out[i] = op.apply(a.getFlat(i));
        return Tensor.of(out, a.shape());
    }

    @Override
    public Tensor swiglu(Tensor gate, Tensor up) {
        Shapes.requireSame("swiglu", gate.shape(), up.shape());
        float[] out = new float[Shapes.checkedArrayLength(gate.shape())];
        for (int i = 0; i < out.length; i++) out[i] = UnaryOp.SILU.apply(gate.getFlat(i)) * up.getFlat(i);
        return Tensor.of(out, gate.shape());
    }

    @Override
    public Tensor maskedFill(Tensor a, Tensor mask, float value) {
        Shapes.requireBroadcastsTo("maskedFill", mask.shape(), a.shape());
        int[] shape = a.shape();
        Tensor em = mask.expand(shape);
        float[] out = new float[Shapes.checkedArrayLength(shape)];
        for (int i = 0; i < out.length; i++) out[i] = em.getFlat(i) != 0 ? value : a.getFlat(i);
        return Tensor.of(out, shape);
    }

    @Override
    public Tensor where(Tensor cond, Tensor a, Tensor b) {
        int[] shape = Shapes.broadcast(cond.shape(), a.shape(), b.shape());
        Tensor ec = cond.expand(shape), ea = a.expand(shape), eb = b.expand(shape);
        float[] out = new float[Shapes.checkedArrayLength(shape)];
        for (int i = 0; i < out.length; i++) out[i] = ec.getFlat(i) != 0 ? ea.getFlat(i) : eb.getFlat(i);
        return Tensor.of(out, shape);
    }

    @Override
    public void addInPlace(Tensor dst, Tensor src) {
        Shapes.requireSame("addInPlace", dst.shape(), src.shape());
        dst.requireNoBroadcast("addInPlace");
        if (src.storage() == dst.storage()) src = src.copy(); // dst += src reads src as it was before any write
        long n = dst.numel();
        for (long i = 0; i < n; i++) {
            long o = dst.offsetOfFlat(i);
            dst.storage().setFloat(o, dst.storage().getFloat(o) + src.getFlat(i));
        }
    }

    // ---------------------------------------------------------------- reductions

    @Override
    public Tensor reduce(ReduceOp op, Tensor a, int dim, boolean keepDim) {
        int d = Shapes.dim(dim, a.shape());
        if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && a.size(d) == 0)
            throw new ShapeException(op + " over empty dim " + dim + " of shape " + Shapes.str(a.shape()));
        Rows rows = new Rows(Rows.moveToLast(a, d));
        float[] out = new float[(int) rows.rows];
        for (long r = 0; r < rows.rows; r++) {
            double acc = switch (op) {
                case SUM, MEAN -> 0;
                case MAX -> Double.NEGATIVE_INFINITY;
                case MIN -> Double.POSITIVE_INFINITY;
            };
            boolean nan = false;
            for (int j = 0; j < rows.cols; j++) {
                float x = rows.get(r, j);
                if (Float.isNaN(x)) nan = true;
                acc = switch (op) {
                    case SUM, MEAN -> acc + x;
                    case MAX -> Math.max(acc, x);
                    case MIN -> Math.min(acc, x);
                };
            }
            if (op == ReduceOp.MEAN) acc /= rows.cols;
            out[(int) r] = nan ? Float.NaN : (float) acc;
        }
        return Tensor.of(out, Rows.reducedShape(a.shape(), d, keepDim));
    }

    @Override
    public Indexed argmax(Tensor a, int dim) {
        int d = Shapes.dim(dim, a.shape());
        if (a.size(d) == 0) throw new ShapeException("argmax over empty dim " + dim + " of shape " + Shapes.str(a.shape()));
        Rows rows = new Rows(Rows.moveToLast(a, d));
        float[] vals = new float[(int) rows.rows];
        int[] idx = new int[(int) rows.rows];
        for (long r = 0; r < rows.rows; r++) {
            int best = 0;
            float bv = rows.get(r, 0);
            for (int j = 1; j < rows.cols; j++) {
                float x = rows.get(r, j);
                if (!Float.isNaN(bv) && (x > bv || Float.isNaN(x))) {
                    bv = x;
                    best = j;
                }
            }
            vals[(int) r] = bv;
            idx[(int) r] = best;
        }
        return new Indexed(Tensor.of(vals, Rows.reducedShape(a.shape(), d, false)), idx);
    }

    @Override
    public Tensor softmax(Tensor a) {
        return lastDimSoftmax(a, false);
    }

    @Override
    public Tensor logSoftmax(Tensor a) {
        return lastDimSoftmax(a, true);
    }

    private static Tensor lastDimSoftmax(Tensor a, boolean log) {
        Rows rows = new Rows(a);
        float[] out = new float[Shapes.checkedArrayLength(a.shape())];
        for (long r = 0; r < rows.rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < rows.cols; j++) max = Math.max(max, rows.get(r, j));
            double sum = 0;
            for (int j = 0; j < rows.cols; j++) sum += Math.exp(rows.get(r, j) - max);
            double logSum = Math.log(sum);
            for (int j = 0; j < rows.cols; j++) {
                double x = rows.get(r, j) - max;
                out[(int) (r * rows.cols + j)] = (float) (log ? x - logSum : Math.exp(x) / sum);
            }
        }
        return Tensor.of(out, a.shape());
    }

    @Override
    public Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Rows rows = new Rows(x);
        checkNormParam("rmsNorm", x, weight);
        float[] out = new float[Shapes.checkedArrayLength(x.shape())];
        for (long r = 0; r < rows.rows; r++) {
            double ss = 0;
            for (int j = 0; j < rows.cols; j++) ss += (double) rows.get(r, j) * rows.get(r, j);
            double inv = 1.0 / Math.sqrt(ss / rows.cols + eps);
            for (int j = 0; j < rows.cols; j++)
                out[(int) (r * rows.cols + j)] = (float) (rows.get(r, j) * inv * (weight == null ? 1 : weight.get(j)));
        }
        return Tensor.of(out, x.shape());
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Rows rows = new Rows(x);
        checkNormParam("layerNorm", x, weight);
        checkNormParam("layerNorm", x, bias);
        float[] out = new float[Shapes.checkedArrayLength(x.shape())];
        for (long r = 0; r < rows.rows; r++) {
            double mean = 0;
            for (int j = 0; j < rows.cols; j++) mean += rows.get(r, j);
            mean /= rows.cols;
            double var = 0;
            for (int j = 0; j < rows.cols; j++) var += (rows.get(r, j) - mean) * (rows.get(r, j) - mean);
            double inv = 1.0 / Math.sqrt(var / rows.cols + eps);
            for (int j = 0; j < rows.cols; j++)
                out[(int) (r * rows.cols + j)] = (float) ((rows.get(r, j) - mean) * inv * (weight == null ? 1 : weight.get(j))
                        + (bias == null ? 0 : bias.get(j)));
        }
        return Tensor.of(out, x.shape());
    }

    static void checkNormParam(String op, Tensor x, Tensor p) {
        if (p != null && (p.rank() != 1 || x.rank() == 0 || p.size(0) != x.size(-1)))
            throw new ShapeException(op + ": parameter of shape " + Shapes.str(p.shape()) + " does not match the last dim of input " + Shapes.str(x.shape()));
    }

    @Override
    public Tensor rope(Tensor x, Tensor cos, Tensor sin, boolean interleaved) {
        RopeShape s = RopeShape.of(x, cos, sin);
        float[] out = new float[Shapes.checkedArrayLength(x.shape())];
        Rows rows = new Rows(x);
        int half = s.d() / 2;
        for (long r = 0; r < rows.rows; r++) {
            int t = (int) ((r / s.h()) % s.t());
            for (int i = 0; i < half; i++) {
                int ia = interleaved ? 2 * i : i, ib = interleaved ? 2 * i + 1 : i + half;
                double a = rows.get(r, ia), b = rows.get(r, ib), c = cos.get(t, i), sn = sin.get(t, i);
                out[(int) (r * s.d() + ia)] = (float) (a * c - b * sn);
                out[(int) (r * s.d() + ib)] = (float) (b * c + a * sn);
            }
        }
        return Tensor.of(out, x.shape());
    }

    // ---------------------------------------------------------------- indexing

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        if (table.rank() != 2) throw new ShapeException("embedding table must be [V, C], got " + Shapes.str(table.shape()));
        int v = table.size(0), c = table.size(1);
        float[] out = new float[Math.multiplyExact(ids.length, c)];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= v) throw new IndexOutOfBoundsException("token id " + ids[i] + " at position " + i + " is outside the vocabulary [0, " + v + ")");
            for (int j = 0; j < c; j++) out[i * c + j] = table.get(ids[i], j);
        }
        return Tensor.of(out, ids.length, c);
    }

    @Override
    public Indexed topk(Tensor a, int k, int dim, boolean largest) {
        int d = Shapes.dim(dim, a.shape());
        if (k < 0 || k > a.size(d))
            throw new ShapeException("topk k=" + k + " is out of range for dim " + dim + " of shape " + Shapes.str(a.shape()));
        return sorted(a, d, largest, k);
    }

    @Override
    public Indexed sort(Tensor a, int dim, boolean descending) {
        int d = Shapes.dim(dim, a.shape());
        return sorted(a, d, descending, a.size(d));
    }

    /** Stable sort of each row along d, keeping the first k. */
    private static Indexed sorted(Tensor a, int d, boolean descending, int k) {
        Rows rows = new Rows(Rows.moveToLast(a, d));
        int n = rows.cols;
        int[] outShape = a.shape();
        outShape[d] = k;
        float[] vals = new float[Shapes.checkedArrayLength(outShape)];
        int[] idx = new int[vals.length];
        Integer[] order = new Integer[n];
        float[] row = new float[n];
        Comparator<Integer> cmp = (x, y) -> SortOrder.compare(row[x], row[y]);
        if (descending) cmp = cmp.reversed();
        // results computed in moved layout [..., k], then scattered back into the original layout
        int[] movedShape = new Rows(Rows.moveToLast(Tensor.zeros(outShape), d)).t.shape();
        for (long r = 0; r < rows.rows; r++) {
            for (int j = 0; j < n; j++) {
                row[j] = rows.get(r, j);
                order[j] = j;
            }
            Arrays.sort(order, cmp);
            for (int j = 0; j < k; j++) {
                int dst = Layout.unmoveFlat(r * k + j, movedShape, d);
                vals[dst] = row[order[j]];
                idx[dst] = order[j];
            }
        }
        return new Indexed(Tensor.of(vals, outShape), idx);
    }

    @Override
    public Tensor concat(int dim, Tensor... ts) {
        ConcatShape s = ConcatShape.of(dim, ts);
        float[] out = new float[Shapes.checkedArrayLength(s.outShape())];
        Tensor o = Tensor.of(out, s.outShape());
        int at = 0;
        for (Tensor t : ts) {
            int len = t.size(s.dim());
            if (len > 0) o.narrow(s.dim(), at, len).copyFrom(t);
            at += len;
        }
        return o;
    }

    @Override
    public Tensor indexSelect(Tensor a, int dim, int[] index) {
        int d = Shapes.dim(dim, a.shape());
        int[] shape = a.shape();
        for (int i : index)
            if (i < 0 || i >= shape[d]) throw new ShapeException("indexSelect index " + i + " is out of range for dim " + dim + " of shape " + Shapes.str(shape));
        shape[d] = index.length;
        Tensor o = Tensor.zeros(shape);
        for (int i = 0; i < index.length; i++) o.select(d, i).copyFrom(a.select(d, index[i]));
        return o;
    }
}
