package org.prune4j.distill;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Knowledge distillation from a teacher (Hinton et al. 2015; Minitron's recovery step): the teacher runs once per
 * batch on the inference path (no tape), the student on the tape, and the loss is
 * alpha * KD(logits) + (1 - alpha) * CE(labels) + hiddenWeight * hidden(student layer l, teacher layer map[l]).
 */
public final class KdObjective implements Objective {
    /** Which logit loss: forward KL(p_T || p_S), reverse KL(p_S || p_T), or hard-label cross-entropy only. */
    public enum LogitLoss { KL, REVERSE_KL, CE }

    /** Which hidden-state loss, if any. */
    public enum HiddenLoss { NONE, COSINE, MSE }

    /**
     * The recipe. {@code layerMap[l]} is the teacher layer whose output student layer l's output is compared to
     * (-1: none); with widths differing, a learned projection [C_teacher, C_student] per mapped layer maps the student
     * state first (trained with the student, dropped at the end).
     */
    public record Config(LogitLoss loss, float temperature, double alpha, HiddenLoss hidden, double hiddenWeight, int[] layerMap) {
        public Config {
            if (!(temperature > 0)) throw new IllegalArgumentException("--temperature must be positive, got " + temperature);
            if (!(alpha >= 0 && alpha <= 1)) throw new IllegalArgumentException("--alpha must be in [0, 1], got " + alpha);
            if (!(hiddenWeight >= 0)) throw new IllegalArgumentException("--hidden-weight must be >= 0, got " + hiddenWeight);
            layerMap = layerMap == null ? null : layerMap.clone();
        }

        /** Logit KD only (the recovery protocol's recipe). */
        public static Config logits(LogitLoss loss, float temperature, double alpha) {
            return new Config(loss, temperature, alpha, HiddenLoss.NONE, 0, null);
        }
    }

    private final LlamaModel teacher, student;
    private final Config cfg;
    private final Map<Integer, Var> projections = new LinkedHashMap<>();

    /**
     * A distillation objective; vocabularies must match and every mapped layer must exist (else an
     * {@link IllegalArgumentException} saying which). {@code seed} initialises projections. The teacher may be null
     * for hard-label CE without a hidden loss (CE fine-tuning through the same loop).
     */
    public KdObjective(LlamaModel teacher, LlamaModel student, Config cfg, long seed) {
        this.teacher = teacher;
        this.student = student;
        this.cfg = cfg;
        if (teacher == null) {
            if (cfg.loss() != LogitLoss.CE || cfg.hidden() != HiddenLoss.NONE) throw new IllegalArgumentException("this objective needs a teacher");
            return;
        }
        int vt = teacher.config().vocabSize(), vs = student.config().vocabSize();
        if (vt != vs) throw new IllegalArgumentException("teacher and student vocabularies differ: " + vt + " vs " + vs + " tokens; logit distillation needs the same vocabulary");
        if (cfg.hidden() != HiddenLoss.NONE) {
            int[] map = cfg.layerMap();
            if (map == null || map.length != student.numLayers())
                throw new IllegalArgumentException("--layer-map needs one teacher layer per student layer (" + student.numLayers() + "), got " + (map == null ? "none" : map.length));
            int ct = teacher.config().hiddenSize(), cs = student.config().hiddenSize();
            for (int l = 0; l < map.length; l++) {
                if (map[l] < -1 || map[l] >= teacher.numLayers())
                    throw new IllegalArgumentException("--layer-map: student layer " + l + " maps to teacher layer " + map[l] + ", outside [0, " + teacher.numLayers() + ")");
                if (map[l] >= 0 && ct != cs) // N(0, 1/C_s): a random projection roughly preserves norms at the start
                    projections.put(l, Var.param(Tensor.randn(seed + l, (float) (1 / Math.sqrt(cs)), ct, cs), "distill.projection." + l + ".weight"));
            }
        }
    }

    public Config config() { return cfg; }

    private TeacherCache cache;
    private int streamWindows;
    private long microBatch;

    /**
     * Reads the teacher from {@code c} (forward KL only, no hidden loss) instead of running it; {@code streamWindows}
     * is the data's window count (FIRST sampling wraps around it).
     */
    public KdObjective withCache(TeacherCache c, int streamWindows) {
        if (cfg.loss() != LogitLoss.KL || cfg.hidden() != HiddenLoss.NONE)
            throw new IllegalArgumentException("--teacher-cache serves forward KL without a hidden loss");
        if (c.temperature() != cfg.temperature()) throw new IllegalArgumentException("the teacher cache was built at temperature " + c.temperature() + ", the run uses " + cfg.temperature());
        this.cache = c;
        this.streamWindows = streamWindows;
        return this;
    }

    /** Which micro-batch runs next (the cache's windows). */
    public void microBatch(long m) { microBatch = m; }

    @Override
    public Map<String, Var> extraParameters() {
        Map<String, Var> m = new LinkedHashMap<>();
        for (Var p : projections.values()) m.put(p.name(), p);
        return m;
    }

    @Override
    public Loss loss(Tape tape, int[][] batch) {
        int b = batch.length, t = batch[0].length, v = student.config().vocabSize();
        boolean hidden = cfg.hidden() != HiddenLoss.NONE && cfg.hiddenWeight() > 0;

        // teacher: inference path, once per batch; hidden states of mapped layers copied as they pass
        Tensor[] teacherStates = new Tensor[teacher == null ? 0 : teacher.numLayers()];
        Tensor tLogits = null;
        if ((cfg.loss() != LogitLoss.CE && cache == null) || hidden) {
            Observer keep = !hidden ? Observer.NONE : new Observer() {
                @Override public void layerOutput(int layer, Tensor h) { teacherStates[layer] = h.copy(); }
            };
            tLogits = teacher.logits(batch, keep).reshape(b * t, v);                   // [B*T, V]
        }

        // student: on the tape, layer by layer so hidden states stay variables
        Var h = student.embed(tape, batch);                                            // [B, T, C]
        Var hiddenLoss = null;
        for (int l = 0; l < student.numLayers(); l++) {
            h = student.forwardLayer(tape, l, h, 0, Observer.NONE);
            if (hidden && cfg.layerMap()[l] >= 0) {
                Var hl = hiddenTerm(tape, l, h, teacherStates[cfg.layerMap()[l]]);
                hiddenLoss = hiddenLoss == null ? hl : tape.add(hiddenLoss, hl);
            }
        }
        Var logits = tape.reshape(student.head(tape, h), b * t, v);                    // [B*T, V]

        Map<String, Double> parts = new LinkedHashMap<>();
        Var total;
        if (cfg.loss() == LogitLoss.CE) {
            total = NextToken.crossEntropy(tape, logits, batch);
            parts.put("ce", (double) total.value().item());
        } else {
            Var kd;
            if (cache != null) {                                                       // FIRST sampling: windows [mB, (m+1)B)
                TeacherCache.Rows r = cache.rows(microBatch * b, b, streamWindows);
                kd = tape.topKKl(logits, r.ids(), r.logp(), r.rest(), cache.k(), cfg.temperature());
            } else {
                kd = cfg.loss() == LogitLoss.KL ? tape.klDivergence(logits, tLogits, cfg.temperature()) : tape.reverseKl(logits, tLogits, cfg.temperature());
            }
            parts.put("kd", (double) kd.value().item());
            if (cfg.alpha() < 1) {
                Var ce = NextToken.crossEntropy(tape, logits, batch);
                parts.put("ce", (double) ce.value().item());
                total = tape.add(tape.scale(kd, (float) cfg.alpha()), tape.scale(ce, (float) (1 - cfg.alpha())));
            } else {
                try (var ng = tape.noGrad()) { // logged, not trained on
                    parts.put("ce", (double) NextToken.crossEntropy(tape, logits, batch).value().item());
                }
                total = kd;
            }
        }
        if (hiddenLoss != null) {
            parts.put("hidden", (double) hiddenLoss.value().item());
            total = tape.add(total, tape.scale(hiddenLoss, (float) cfg.hiddenWeight()));
        }
        return new Loss(total, parts);
    }

    /** The hidden loss of student layer l's output [B, T, Cs] against the teacher's [B, T, Ct] (projected when widths differ). */
    private Var hiddenTerm(Tape tape, int l, Var hs, Tensor ht) {
        int[] sh = hs.shape();
        int n = sh[0] * sh[1];
        Var s2 = tape.reshape(hs, n, sh[2]);                                            // [N, Cs]
        Var proj = projections.get(l);
        if (proj != null) s2 = tape.linear(s2, proj, null);                             // [N, Ct]
        Tensor t2 = ht.reshape(n, ht.size(-1));                                         // [N, Ct]
        if (!Arrays.equals(s2.shape(), t2.shape())) throw new IllegalStateException("hidden states differ in shape at student layer " + l);
        if (cfg.hidden() == HiddenLoss.COSINE) return tape.cosineLoss(s2, t2);
        Var d = tape.sub(s2, Var.constant(t2));
        return tape.meanAll(tape.mul(d, d));                                            // mean over N*C of (s - t)^2
    }
}
