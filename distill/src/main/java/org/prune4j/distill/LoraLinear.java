package org.prune4j.distill;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LinearLayer;

/**
 * A linear layer with a low-rank adapter (Hu et al. 2021, LoRA): y = x W^T + b + (alpha / r) * dropout(x) A^T B^T,
 * W [out, in] and b frozen, A [r, in] and B [out, r] trained. Initialised as PEFT does: A uniform in +-1/sqrt(in)
 * (kaiming_uniform with a = sqrt(5)), B zero, so training starts from the base model exactly. Dropout masks are
 * drawn from (seed, micro-batch), so a resumed run draws the same ones.
 */
public final class LoraLinear implements LinearLayer {
    private final LinearLayer base;
    private final Var a, b;
    private final int rank;
    private final double alpha, dropout;
    private final long seed;
    private long microBatch;

    /** Wraps {@code base} (frozen here) with rank-{@code rank} factors named {@code prefix}.lora_A/B.weight. */
    public LoraLinear(LinearLayer base, String prefix, int rank, double alpha, double dropout, long seed) {
        if (rank < 1) throw new IllegalArgumentException("--lora-rank must be >= 1, got " + rank);
        if (!(dropout >= 0 && dropout < 1)) throw new IllegalArgumentException("--lora-dropout must be in [0, 1), got " + dropout);
        this.base = base;
        int out = base.weight().size(0), in = base.weight().size(1);
        float bound = (float) (1 / Math.sqrt(in));
        this.a = Var.param(Tensor.uniform(seed, -bound, bound, rank, in), prefix + ".lora_A.weight");   // [r, in]
        this.b = Var.param(Tensor.zeros(out, rank), prefix + ".lora_B.weight");                         // [out, r]
        this.rank = rank;
        this.alpha = alpha;
        this.dropout = dropout;
        this.seed = seed;
        base.weight().setFrozen(true);
        if (base.bias() != null) base.bias().setFrozen(true);
    }

    /** alpha / r, PEFT's {@code scaling}. */
    public double scaling() { return alpha / rank; }

    public Var loraA() { return a; }

    public Var loraB() { return b; }

    public LinearLayer base() { return base; }

    /** Sets which micro-batch the next forward belongs to (the dropout masks' seed). */
    public void microBatch(long m) { microBatch = m; }

    @Override
    public Var forward(Tape tape, Var x) {
        Var y = base.forward(tape, x);                                                   // [..., out]
        Var xd = x;
        if (dropout > 0 && tape.isRecording()) {                                         // inverted dropout, as torch.nn.Dropout
            float keep = (float) (1 / (1 - dropout));
            float[] m = new float[(int) x.value().numel()];
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + microBatch);
            for (int i = 0; i < m.length; i++) m[i] = r.nextDouble() < dropout ? 0f : keep;
            xd = tape.mul(x, Var.constant(Tensor.of(m, x.shape())));
        }
        Var low = tape.linear(tape.linear(xd, a, null), b, null);                         // [..., r] -> [..., out]
        return tape.add(y, tape.scale(low, (float) scaling()));
    }

    @Override public Var weight() { return base.weight(); }

    @Override public Var bias() { return base.bias(); }

    @Override
    public Map<String, Var> extraParameters() {
        Map<String, Var> m = new LinkedHashMap<>();
        m.put(a.name(), a);
        m.put(b.name(), b);
        return m;
    }

    /**
     * The merged weight W + (alpha / r) B A [out, in], computed in double per entry; with {@code keepZeros}, entries
     * that are zero in W stay zero (a sparse student keeps its pattern).
     */
    public Tensor merged(boolean keepZeros) {
        Tensor w = base.weight().value();
        int out = w.size(0), in = w.size(1);
        float[] wa = w.toFloatArray(), aa = a.value().toFloatArray(), ba = b.value().toFloatArray();
        float[] m = new float[out * in];
        double s = scaling();
        for (int o = 0; o < out; o++)
            for (int i = 0; i < in; i++) {
                float w0 = wa[o * in + i];
                if (keepZeros && w0 == 0f) continue;
                double d = 0;
                for (int k = 0; k < rank; k++) d += (double) ba[o * rank + k] * aa[k * in + i];
                m[o * in + i] = (float) (w0 + s * d);
            }
        return Tensor.of(m, out, in);
    }
}
