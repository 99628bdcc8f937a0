package org.prune4j.autograd;

import java.util.ArrayList;
import java.util.List;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;

/**
 * Reverse-mode automatic differentiation: ops called through this tape compute their forward value with its
 * {@link Kernels} and, while recording, append their backward function. {@link #backward} replays the tape in
 * reverse, accumulating gradients with {@link Kernels#addInPlace}, then drops every recorded node so the
 * intermediate buffers can be freed.
 *
 * <p>The op methods below are thin: each op's forward and backward live side by side in one small class
 * ({@link LinearOps}, {@link ElementwiseOps}, {@link NormOps}, ...). A tape is not thread-safe; use one per thread.
 */
public final class Tape {
    private final Kernels k;
    private final boolean recordingAllowed;
    private int noGradDepth;
    private final List<Node> nodes = new ArrayList<>();

    /** One recorded op: its output and how to push the output's gradient to its inputs. */
    private record Node(String op, Var out, Backward backward) {}

    /** A recording tape over {@code kernels}. */
    public Tape(Kernels kernels) {
        this(kernels, true);
    }

    private Tape(Kernels kernels, boolean recordingAllowed) {
        this.k = kernels;
        this.recordingAllowed = recordingAllowed;
    }

    /** A tape that never records: ops just compute (inference, evaluation). */
    public static Tape inference(Kernels kernels) {
        return new Tape(kernels, false);
    }

    public Kernels kernels() { return k; }

    /** True when ops called now are recorded for backward. */
    public boolean isRecording() {
        return recordingAllowed && noGradDepth == 0;
    }

    /** Number of recorded ops (for tests and memory accounting). */
    public int size() { return nodes.size(); }

    /** A scope in which nothing is recorded: {@code try (var s = tape.noGrad()) { ... }}. Scopes nest. */
    public NoGrad noGrad() {
        noGradDepth++;
        return new NoGrad();
    }

    /** Closes a {@link #noGrad()} scope. */
    public final class NoGrad implements AutoCloseable {
        private boolean closed;

        private NoGrad() {}

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                noGradDepth--;
            }
        }
    }

    // ------------------------------------------------------------------ profiling

    /**
     * Time per op, forward and backward, for finding where a training step goes ({@code bench train --profile}). An
     * op's forward time is the wall time since the previous op on this tape was recorded (ops run back to back, so
     * that is the op's own compute); its backward time is that of its backward function.
     */
    public static final class Profile {
        private final java.util.Map<String, long[]> ops = new java.util.TreeMap<>();
        private long last = System.nanoTime();

        /** Starts the forward clock now (call right before the first op of a step). */
        public void mark() { last = System.nanoTime(); }

        void forward(String op) {
            long now = System.nanoTime();
            ops.computeIfAbsent(op, o -> new long[3])[0] += now - last;
            ops.get(op)[2]++;
            last = now;
        }

        void backward(String op, long nanos) {
            ops.computeIfAbsent(op, o -> new long[3])[1] += nanos;
        }

        /** Op name -> {forward nanos, backward nanos, forward calls}, by name. */
        public java.util.Map<String, long[]> ops() { return java.util.Collections.unmodifiableMap(ops); }
    }

    private Profile profile;

    /** Starts attributing time to ops in {@code p} (null stops). */
    public Tape profile(Profile p) {
        this.profile = p;
        if (p != null) p.mark();
        return this;
    }

    /** Drops every recorded node (after an aborted step, or to release activations without a backward). */
    public void clear() {
        nodes.clear();
    }

    // ------------------------------------------------------------------ recording

    /**
     * Wraps an op's freshly computed output; records {@code backward} when recording and some input needs a
     * gradient. Op classes call this; {@code inputs} may contain nulls (absent optional operands).
     */
    Var record(String op, Tensor out, Backward backward, Var... inputs) {
        boolean needs = false;
        if (isRecording()) for (Var v : inputs) if (v != null && v.requiresGrad()) needs = true;
        Var v = new Var(out, false, needs, null);
        if (profile != null) profile.forward(op);
        if (needs) nodes.add(new Node(op, v, backward));
        return v;
    }

    /** True when {@code v} wants a gradient (backward functions skip work for inputs that do not). */
    static boolean needs(Var v) {
        return v != null && v.requiresGrad();
    }

    /**
     * Adds {@code g} to {@code v}'s gradient. {@code g} must be a tensor the caller gives away (a fresh kernel
     * result nobody else holds): it may become the gradient itself and be added to in place later.
     */
    void accumulate(Var v, Tensor g) {
        add(v, g, true);
    }

    /** Like {@link #accumulate} for a tensor that is shared (a view of another gradient): copied before any in-place add. */
    void accumulateShared(Var v, Tensor g) {
        add(v, g, false);
    }

    private void add(Var v, Tensor g, boolean owned) {
        if (!needs(v)) return;
        Shapes.requireSame("gradient of " + v, v.value().shape(), g.shape());
        if (v.grad == null) {
            v.grad = g;
            v.gradOwned = owned && g.isDenseArray();
            if (v.isLeaf()) touchedLeaves.add(v);
            return;
        }
        own(v);
        k.addInPlace(v.grad, g);
    }

    /** Makes {@code v.grad} a dense array this variable alone holds (zeros when absent). */
    private void own(Var v) {
        if (v.grad == null) {
            v.grad = Tensor.zeros(v.value().shape());
            v.gradOwned = true;
            if (v.isLeaf()) touchedLeaves.add(v);
        } else if (!v.gradOwned) {
            v.grad = v.grad.copy();
            v.gradOwned = true;
        }
    }

    /** The gradient buffer of {@code v}, owned and zero-initialised when absent, for ops that add into part of it. */
    Tensor ownedGrad(Var v) {
        own(v);
        return v.grad;
    }

    // ------------------------------------------------------------------ backward

    /** Backpropagates from a scalar (one-element) loss, seeding d loss / d loss = 1. */
    public void backward(Var loss) {
        if (loss.value().numel() != 1)
            throw new IllegalArgumentException("backward(loss) needs a one-element loss, got shape " + Shapes.str(loss.shape())
                    + "; pass a seed gradient for other outputs");
        backward(loss, Tensor.full(1f, loss.shape()));
    }

    /**
     * Backpropagates {@code seed} = d(loss)/d(out) through every recorded op, in reverse order of recording, then
     * clears the tape. Leaf gradients accumulate across calls; op outputs keep theirs only if they retain it.
     */
    public void backward(Var out, Tensor seed) {
        Shapes.requireSame("backward seed for " + out, out.shape(), seed.shape());
        if (!out.requiresGrad()) {
            nodes.clear();
            return;
        }
        accumulateShared(out, seed);
        try {
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node n = nodes.get(i);
                nodes.set(i, null); // the node's closure (and the activations it saved) can go once it has run
                Tensor dy = n.out().grad;
                if (dy == null) continue; // nothing flowed here
                if (profile == null) n.backward().apply(dy);
                else {
                    long t0 = System.nanoTime();
                    n.backward().apply(dy);
                    profile.backward(n.op(), System.nanoTime() - t0);
                }
                if (!n.out().retainsGrad()) n.out().zeroGrad();
            }
        } finally {
            nodes.clear();
            // Leaves keep their gradients between calls: make them dense arrays they own (optimizers update in place).
            for (Var v : touchedLeaves) if (v.grad != null && !v.gradOwned) own(v);
            touchedLeaves.clear();
        }
    }

    /** Leaves that received a gradient during the current backward (their gradient may still alias a shared buffer). */
    private final List<Var> touchedLeaves = new ArrayList<>();

    // ------------------------------------------------------------------ ops (forward + backward live in *Ops classes)

    /** a [..., M, K] @ b [..., K, N] with broadcast batch dims. */
    public Var matmul(Var a, Var b) { return LinearOps.matmul(this, a, b); }

    /** x [..., in] @ w [out, in]^T + bias [out] (bias may be null). */
    public Var linear(Var x, Var w, Var bias) { return LinearOps.linear(this, x, w, bias); }

    /** a + b with broadcasting. */
    public Var add(Var a, Var b) { return ElementwiseOps.add(this, a, b); }

    /** a - b with broadcasting. */
    public Var sub(Var a, Var b) { return ElementwiseOps.sub(this, a, b); }

    /** a * b with broadcasting. */
    public Var mul(Var a, Var b) { return ElementwiseOps.mul(this, a, b); }

    /** a / b with broadcasting. */
    public Var div(Var a, Var b) { return ElementwiseOps.div(this, a, b); }

    /** a * s. */
    public Var scale(Var a, float s) { return ElementwiseOps.scale(this, a, s); }

    /** a + s. */
    public Var addScalar(Var a, float s) { return ElementwiseOps.addScalar(this, a, s); }

    /** x sigmoid(x). */
    public Var silu(Var x) { return ActivationOps.silu(this, x); }

    /** silu(gate) * up, Llama's gated MLP activation. */
    public Var swiglu(Var gate, Var up) { return ActivationOps.swiglu(this, gate, up); }

    /** RMSNorm over the last dim with weight [C] (or null). */
    public Var rmsNorm(Var x, Var weight, float eps) { return NormOps.rmsNorm(this, x, weight, eps); }

    /** Softmax over the last dim. */
    public Var softmax(Var x) { return SoftmaxOps.softmax(this, x); }

    /** log softmax over the last dim. */
    public Var logSoftmax(Var x) { return SoftmaxOps.logSoftmax(this, x); }

    /** Rotary embedding of x [..., T, H, D] with constant cos, sin [T, D/2]. */
    public Var rope(Var x, Tensor cos, Tensor sin, boolean interleaved) { return RopeOps.rope(this, x, cos, sin, interleaved); }

    /** Rows {@code ids} of table [V, C] -> [N, C]. */
    public Var embedding(Var table, int[] ids) { return EmbeddingOps.embedding(this, table, ids); }

    public Var reshape(Var x, int... shape) { return ViewOps.reshape(this, x, shape); }

    public Var transpose(Var x, int d0, int d1) { return ViewOps.transpose(this, x, d0, d1); }

    /** Output dim i is input dim order[i]. */
    public Var permute(Var x, int... order) { return ViewOps.permute(this, x, order); }

    public Var narrow(Var x, int dim, int start, int length) { return ViewOps.narrow(this, x, dim, start, length); }

    /** Python slice [start:end:step] along dim. */
    public Var slice(Var x, int dim, int start, int end, int step) { return ViewOps.slice(this, x, dim, start, end, step); }

    public Var select(Var x, int dim, int index) { return ViewOps.select(this, x, dim, index); }

    public Var contiguous(Var x) { return ViewOps.contiguous(this, x); }

    public Var concat(int dim, Var... xs) { return ViewOps.concat(this, dim, xs); }

    public Var sum(Var x, int dim, boolean keepDim) { return ReduceOps.sum(this, x, dim, keepDim); }

    public Var mean(Var x, int dim, boolean keepDim) { return ReduceOps.mean(this, x, dim, keepDim); }

    /** Sum of all elements (shape []). */
    public Var sumAll(Var x) { return ReduceOps.sumAll(this, x); }

    /** Mean of all elements (shape []). */
    public Var meanAll(Var x) { return ReduceOps.meanAll(this, x); }

    /** [B, S, Hkv, D] -> [B, S, Hkv*group, D], consecutive query heads sharing a kv head. */
    public Var repeatKv(Var x, int group) { return AttentionOps.repeatKv(this, x, group); }

    /** Scores [..., T, S] with keys after each query's position set to -inf. */
    public Var causalMask(Var scores) { return AttentionOps.causalMask(this, scores); }

    /** Fused grouped-query attention q [B,T,H,D], k, v [B,S,Hkv,D] -> [B,T,H,D]. */
    public Var attention(Var q, Var k, Var v, float scale, boolean causal) { return AttentionOps.attention(this, q, k, v, scale, causal); }

    /** Causal attention where each query sees only the last {@code window} positions (itself included); Mistral's sliding window. */
    public Var slidingAttention(Var q, Var k, Var v, float scale, int window) { return AttentionOps.attention(this, q, k, v, scale, true, window); }

    /** Per-head outputs [B, T, H, D] times xi [H] (Michel et al.'s head mask). */
    public Var headMask(Var perHead, Var xi) { return AttentionOps.headMask(this, perHead, xi); }

    /** SCOP's knockoff gate λ ⊙ x + (1 − λ) ⊙ x̃, λ [G] per block of {@code group} entries of the last dim. */
    public Var knockoffGate(Var x, Var xTilde, Var lambda, int group) { return GateOps.knockoffGate(this, x, xTilde, lambda, group); }

    /** Mean cross-entropy of logits [N, V] against targets, skipping {@code ignoreIndex}. */
    public Var crossEntropy(Var logits, int[] targets, int ignoreIndex) { return LossOps.crossEntropy(this, logits, targets, ignoreIndex); }

    /** tau^2 * mean KL(softmax(teacher/tau) || softmax(student/tau)) over rows of [N, V]. */
    public Var klDivergence(Var student, Tensor teacher, float temperature) { return LossOps.klDivergence(this, student, teacher, temperature); }

    /** tau^2 * mean KL(softmax(student/tau) || softmax(teacher/tau)) over rows of [N, V] (reverse KL). */
    public Var reverseKl(Var student, Tensor teacher, float temperature) { return LossOps.reverseKl(this, student, teacher, temperature); }

    /** 1 - mean over rows of cos(student_i, teacher_i), rows of [N, C] (hidden-state distillation). */
    public Var cosineLoss(Var student, Tensor teacher) { return LossOps.cosineLoss(this, student, teacher); }

    /** tau^2 * mean KL(teacher || student) with the teacher given as top-k ids, log-probabilities and leftover mass per row. */
    public Var topKKl(Var student, int[] ids, float[] teacherLogP, float[] rest, int topK, float temperature) {
        return LossOps.topKKl(this, student, ids, teacherLogP, rest, topK, temperature);
    }
}
