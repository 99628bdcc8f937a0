package org.prune4j.autograd;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Shapes;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** Training losses: next-token cross-entropy and the distillation KL divergence. */
final class LossOps {
    private LossOps() {}

    /**
     * Mean cross-entropy -log softmax(logits)[target] over the rows whose target is not {@code ignoreIndex};
     * logits [N, V], targets [N]. The sum runs in double. Backward: (softmax - onehot) / count per kept row.
     * With every row ignored the loss is NaN (as in PyTorch) and the gradient zero.
     */
    static Var crossEntropy(Tape tape, Var logits, int[] targets, int ignoreIndex) {
        Kernels k = tape.kernels();
        int[] sh = logits.shape();
        if (sh.length != 2 || sh[0] != targets.length)
            throw new ShapeException("cross-entropy needs logits [N, V] and N targets; got logits " + Shapes.str(sh) + " and " + targets.length + " targets");
        int n = sh[0], v = sh[1];
        Tensor lsm = k.logSoftmax(logits.value()); // [N, V]
        double sum = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            int t = targets[i];
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= v) throw new IndexOutOfBoundsException("target " + t + " at row " + i + " is outside the vocabulary [0, " + v + ")");
            sum -= lsm.get(i, t);
            count++;
        }
        int kept = count;
        int[] tg = targets.clone();
        Tensor y = Tensor.scalar(kept == 0 ? Float.NaN : (float) (sum / kept));
        return tape.record("crossEntropy", y, dy -> {
            if (kept == 0) return;
            Tensor g = k.unary(UnaryOp.EXP, lsm); // softmax, a fresh contiguous [N, V] buffer we may edit in place
            float[] a = g.array();
            float c = dy.item() / kept;
            for (int i = 0; i < n; i++) {
                int o = (int) g.offset() + i * v;
                if (tg[i] == ignoreIndex) java.util.Arrays.fill(a, o, o + v, 0f);
                else {
                    a[o + tg[i]] -= 1f;
                    for (int j = o; j < o + v; j++) a[j] *= c; // (softmax - onehot) dy / count
                }
            }
            tape.accumulate(logits, g);
        }, logits);
    }

    /**
     * Knowledge-distillation loss (Hinton et al. 2015): tau^2 * mean over rows of KL(p_teacher || p_student) with
     * p = softmax(logits / tau); student logits [N, V] (a variable), teacher logits [N, V] (a constant). The tau^2
     * factor keeps gradient magnitudes independent of the temperature. d/d student = tau (p_student - p_teacher) / N.
     */
    static Var klDivergence(Tape tape, Var student, Tensor teacher, float temperature) {
        Kernels k = tape.kernels();
        int[] sh = student.shape();
        if (sh.length != 2 || !java.util.Arrays.equals(sh, teacher.shape()))
            throw new ShapeException("KL divergence needs student and teacher logits [N, V] of the same shape; got " + Shapes.str(sh) + " and " + Shapes.str(teacher.shape()));
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        int n = sh[0], v = sh[1];
        float invT = 1f / temperature;
        Tensor lsS = k.logSoftmax(k.scale(student.value(), invT)); // [N, V]
        Tensor lsT = k.logSoftmax(k.scale(teacher, invT));
        Tensor pT = k.unary(UnaryOp.EXP, lsT);
        Tensor pd = pT.toF32(), td = lsT.toF32(), sd = lsS.toF32();
        float[] pa = pd.array(), ta = td.array(), sa = sd.array();
        int po = (int) pd.offset(), to = (int) td.offset(), so = (int) sd.offset();
        double kl = 0;
        for (int i = 0; i < n * v; i++) {
            double p = pa[po + i];
            if (p > 0) kl += p * ((double) ta[to + i] - sa[so + i]); // 0 log 0 = 0
        }
        double t2 = (double) temperature * temperature;
        Tensor y = Tensor.scalar((float) (t2 * kl / n));
        return tape.record("klDivergence", y, dy -> {
            Tensor diff = k.sub(k.unary(UnaryOp.EXP, lsS), pT);
            tape.accumulate(student, k.scale(diff, (float) (dy.item() * temperature / n)));
        }, student);
    }

    /**
     * Reverse KL, tau^2 * mean over rows of KL(p_student || p_teacher) with p = softmax(logits / tau): mode-seeking
     * where forward KL is mean-covering (Gu et al. 2024, MiniLLM). Rows of [N, V], teacher a constant.
     * With r = log p_S - log p_T and KL_i = sum_v p_S r, d/d student = tau p_S (r - KL_i) / N.
     */
    static Var reverseKl(Tape tape, Var student, Tensor teacher, float temperature) {
        Kernels k = tape.kernels();
        int[] sh = student.shape();
        if (sh.length != 2 || !java.util.Arrays.equals(sh, teacher.shape()))
            throw new ShapeException("reverse KL needs student and teacher logits [N, V] of the same shape; got " + Shapes.str(sh) + " and " + Shapes.str(teacher.shape()));
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        int n = sh[0], v = sh[1];
        float invT = 1f / temperature;
        float[] ls = k.logSoftmax(k.scale(student.value(), invT)).toFloatArray(); // [N, V] log p_S
        float[] lt = k.logSoftmax(k.scale(teacher, invT)).toFloatArray();         // [N, V] log p_T
        double[] rowKl = new double[n];
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double r = 0;
            for (int j = i * v; j < (i + 1) * v; j++) {
                double p = Math.exp(ls[j]);
                if (p > 0) r += p * ((double) ls[j] - lt[j]);
            }
            rowKl[i] = r;
            kl += r;
        }
        double t2 = (double) temperature * temperature;
        Tensor y = Tensor.scalar((float) (t2 * kl / n));
        return tape.record("reverseKl", y, dy -> {
            float[] g = new float[n * v];
            double c = dy.item() * (double) temperature / n;
            for (int i = 0; i < n; i++)
                for (int j = i * v; j < (i + 1) * v; j++) {
                    double p = Math.exp(ls[j]);
                    g[j] = (float) (c * p * ((double) ls[j] - lt[j] - rowKl[i]));
                }
            tape.accumulate(student, Tensor.of(g, n, v));
        }, student);
    }

    /**
     * Hidden-state cosine loss, 1 - mean over rows of cos(a_i, b_i); student a [N, C] (a variable), teacher b [N, C]
     * (a constant). Sums in double. With c_i = a.b / (|a||b|), d/da = -(b / (|a||b|) - c_i a / |a|^2) / N.
     * A zero row has no direction: its cosine counts as 0 and its gradient is zero.
     */
    static Var cosineLoss(Tape tape, Var student, Tensor teacher) {
        int[] sh = student.shape();
        if (sh.length != 2 || !java.util.Arrays.equals(sh, teacher.shape()))
            throw new ShapeException("cosine loss needs student and teacher rows [N, C] of the same shape; got " + Shapes.str(sh) + " and " + Shapes.str(teacher.shape()));
        int n = sh[0], c = sh[1];
        float[] a = student.value().toFloatArray(), b = teacher.toFloatArray();
        double[] na = new double[n], nb = new double[n], cos = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double dot = 0, aa = 0, bb = 0;
            for (int j = i * c; j < (i + 1) * c; j++) {
                dot += (double) a[j] * b[j];
                aa += (double) a[j] * a[j];
                bb += (double) b[j] * b[j];
            }
            na[i] = Math.sqrt(aa);
            nb[i] = Math.sqrt(bb);
            cos[i] = na[i] > 0 && nb[i] > 0 ? dot / (na[i] * nb[i]) : 0;
            sum += cos[i];
        }
        Tensor y = Tensor.scalar((float) (1 - sum / n));
        return tape.record("cosineLoss", y, dy -> {
            float[] g = new float[n * c];
            double scale = -dy.item() / n;
            for (int i = 0; i < n; i++) {
                if (!(na[i] > 0 && nb[i] > 0)) continue;
                double inv = 1 / (na[i] * nb[i]), ca = cos[i] / (na[i] * na[i]);
                for (int j = i * c; j < (i + 1) * c; j++) g[j] = (float) (scale * (b[j] * inv - ca * a[j]));
            }
            tape.accumulate(student, Tensor.of(g, n, c));
        }, student);
    }

    /**
     * Forward KL against a teacher kept as its top-k (offline KD): per row i, the k ids {@code ids[i k ..]}, their
     * teacher log-probabilities at temperature tau, and the teacher's leftover mass r_i = 1 - sum of those k. The
     * student's distribution is bucketed the same way (its k probabilities and R_i = 1 - their sum), so
     * L = tau^2 / N * sum_i [sum_K p (log p - log q) + r log(r / R)], which is the full KL when k = V (r = 0).
     * d/dz_j = tau / N * (q_j - p_j) for j in K, tau / N * q_j (1 - r / R) otherwise.
     */
    static Var topKKl(Tape tape, Var student, int[] ids, float[] teacherLogP, float[] rest, int topK, float temperature) {
        Kernels k = tape.kernels();
        int[] sh = student.shape();
        if (sh.length != 2 || ids.length != sh[0] * topK || teacherLogP.length != ids.length || rest.length != sh[0])
            throw new ShapeException("top-k KL needs student logits [N, V] with N*k ids and log-probabilities and N leftover masses; got "
                    + Shapes.str(sh) + ", k " + topK + ", " + ids.length + " ids, " + rest.length + " masses");
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        int n = sh[0], v = sh[1];
        float[] ls = k.logSoftmax(k.scale(student.value(), 1f / temperature)).toFloatArray(); // [N, V] log q
        double[] restS = new double[n];
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double qk = 0;
            for (int j = i * topK; j < (i + 1) * topK; j++) {
                int id = ids[j];
                if (id < 0 || id >= v) throw new IndexOutOfBoundsException("cached id " + id + " at row " + i + " is outside the vocabulary [0, " + v + ")");
                double lq = ls[i * v + id], lp = teacherLogP[j];
                qk += Math.exp(lq);
                kl += Math.exp(lp) * (lp - lq);
            }
            restS[i] = Math.max(0, 1 - qk);
            double r = rest[i];
            if (r > 0) kl += r * (Math.log(r) - Math.log(Math.max(restS[i], Double.MIN_NORMAL)));
        }
        double t2 = (double) temperature * temperature;
        Tensor y = Tensor.scalar((float) (t2 * kl / n));
        return tape.record("topKKl", y, dy -> {
            float[] g = new float[n * v];
            double c = dy.item() * (double) temperature / n;
            for (int i = 0; i < n; i++) {
                double factor = rest[i] > 0 ? 1 - rest[i] / Math.max(restS[i], Double.MIN_NORMAL) : 1;
                for (int j = i * v; j < (i + 1) * v; j++) g[j] = (float) (c * Math.exp(ls[j]) * factor);
                for (int j = i * topK; j < (i + 1) * topK; j++) {
                    int at = i * v + ids[j];
                    g[at] = (float) (c * (Math.exp(ls[at]) - Math.exp(teacherLogP[j])));
                }
            }
            tape.accumulate(student, Tensor.of(g, n, v));
        }, student);
    }
}
