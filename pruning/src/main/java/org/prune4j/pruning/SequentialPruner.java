package org.prune4j.pruning;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.DecoderLayer;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Prunes a checkpoint decoder layer by decoder layer, as the Wanda and SparseGPT authors do. The calibration windows
 * are embedded once; then for layer l: its inputs are the outputs of layers 0..l-1 already pruned; one forward pass
 * of the still-dense layer records the statistics of all seven linear inputs (q/k/v share one, gate/up share one;
 * o and down see the dense layer's activations, as in the reference code); the seven weights are pruned; the pruned
 * layer runs again to produce layer l+1's inputs; its tensors are written out. Only one layer's weights (as F32) and
 * one set of hidden states are in memory at a time; embeddings, norms and the output head are copied unchanged.
 * A layer the plan leaves dense ({@link SparsityPlan#prunes}) is copied unchanged; while a pruned layer follows it,
 * its dense forward pass still produces the next layer's inputs.
 */
public final class SequentialPruner {
    private SequentialPruner() {}

    /** How to prune: the method, the per-layer targets, the kernels, how many windows go through a layer at once. */
    public record Options(LinearPruner pruner, SparsityPlan plan, Kernels kernels, int microBatch, PrintStream log) {}

    /** What a run did: one report per linear layer in checkpoint order, the wall time, the calibration tokens used. */
    public record Result(List<LinearReport> linears, double seconds, long calibrationTokens) {
        public long params() {
            long n = 0;
            for (LinearReport r : linears) n += r.params();
            return n;
        }

        public long zeros() {
            long n = 0;
            for (LinearReport r : linears) n += r.zeros();
            return n;
        }

        /** Zeros / parameters over every pruned linear layer. */
        public double sparsity() { return params() == 0 ? 0 : (double) zeros() / params(); }
    }

    static final String LAYER_PREFIX = "model.layers.";

    /** The decoder layer a tensor name belongs to, or -1 (embeddings, final norm, head). */
    static int layerOf(String name) {
        if (!name.startsWith(LAYER_PREFIX)) return -1;
        int dot = name.indexOf('.', LAYER_PREFIX.length());
        if (dot < 0) return -1;
        try {
            return Integer.parseInt(name.substring(LAYER_PREFIX.length(), dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Prunes the model {@code cfg} whose tensors {@code src} holds, writing every tensor to {@code sink}: first the
     * declared layout (non-layer tensors, then layer 0, 1, ...), then the data. {@code calibration} holds the token
     * windows (null or unused for methods that need no data).
     */
    public static Result run(ModelConfig cfg, TensorSource src, int[][] calibration, Options o, TensorSink sink) throws IOException {
        long t0 = System.nanoTime();
        boolean calibrated = o.pruner().needs() != Statistic.NONE;
        validate(cfg, src, calibration, o);
        Layout layout = declare(cfg, src, sink);
        for (String n : layout.head()) sink.write(n, src.get(n));
        int lastPruned = -1;
        for (int l = 0; l < cfg.numLayers(); l++) if (o.plan().prunes(l)) lastPruned = l;
        List<Tensor> hidden = calibrated && lastPruned >= 0 ? embed(cfg, src, calibration, o) : new ArrayList<>();
        List<LinearReport> reports = new ArrayList<>();
        for (int l = 0; l < cfg.numLayers(); l++) {
            long lt0 = System.nanoTime();
            if (!o.plan().prunes(l)) {
                if (l > lastPruned) hidden.clear(); // no pruned layer needs these inputs any more
                keepLayer(cfg, l, src, layout.layers().get(l), hidden, o, sink);
                if (o.log() != null) o.log().println(keptLine(l, cfg.numLayers(), (System.nanoTime() - lt0) / 1e9));
                continue;
            }
            List<LinearReport> rs = pruneLayer(cfg, l, src, layout.layers().get(l), hidden, l < lastPruned, o, sink);
            reports.addAll(rs);
            if (o.log() != null) o.log().println(layerLine(l, cfg.numLayers(), rs, (System.nanoTime() - lt0) / 1e9));
        }
        long tokens = calibrated ? (long) calibration.length * calibration[0].length : 0;
        return new Result(reports, (System.nanoTime() - t0) / 1e9, tokens);
    }

    /** The seven weights of decoder layer {@code l}, in checkpoint order. */
    static List<WeightId> weights(int l) {
        List<WeightId> ids = new ArrayList<>();
        for (Linear lin : Linear.values()) ids.add(new WeightId(l, lin));
        return ids;
    }

    /** Checks everything before any work, so bad input fails fast and writes nothing. */
    static void validate(ModelConfig cfg, TensorSource src, int[][] calibration, Options o) throws IOException {
        Set<String> present = new HashSet<>(src.names());
        Set<String> prunable = new HashSet<>();
        for (int l = 0; l < cfg.numLayers(); l++)
            for (WeightId id : weights(l)) {
                if (!present.contains(id.tensorName())) throw new PruningException("the checkpoint has no tensor " + id.tensorName());
                prunable.add(id.moduleName());
            }
        o.plan().validate(cfg.numLayers(), prunable);
        for (int l = 0; l < cfg.numLayers(); l++)
            for (WeightId id : o.plan().prunes(l) ? weights(l) : List.<WeightId>of())
                if (o.plan().target(l, id.tensorName()) instanceof Sparsity.Groups g) g.requireFits(src.get(id.tensorName()).size(1), id.tensorName());
        if (o.pruner().needs() == Statistic.NONE) return;
        if (calibration == null || calibration.length == 0) throw new PruningException(o.pruner().name() + " needs calibration data (--calib)");
        int seqLen = calibration[0].length;
        for (int[] w : calibration)
            if (w.length != seqLen) throw new PruningException("calibration windows must all have " + seqLen + " tokens");
    }

    /** The write order: tensors outside the decoder layers, then each layer's tensors in checkpoint order. */
    record Layout(List<String> head, List<List<String>> layers) {}

    /** Declares every tensor to {@code sink} in write order. */
    static Layout declare(ModelConfig cfg, TensorSource src, TensorSink sink) throws IOException {
        List<String> head = new ArrayList<>();
        List<List<String>> layers = new ArrayList<>();
        for (int l = 0; l < cfg.numLayers(); l++) layers.add(new ArrayList<>());
        for (String n : src.names()) {
            int l = layerOf(n);
            if (l >= 0 && l < cfg.numLayers()) layers.get(l).add(n);
            else head.add(n);
        }
        for (String n : head) declare(sink, n, src.get(n));
        for (List<String> names : layers) for (String n : names) declare(sink, n, src.get(n));
        return new Layout(head, layers);
    }

    private static void declare(TensorSink sink, String name, Tensor t) throws IOException {
        sink.declare(name, t.dtype(), t.shape());
    }

    /** The calibration windows embedded: hidden states [b, T, C] per micro-batch (at most 2^24 activations wide). */
    static List<Tensor> embed(ModelConfig cfg, TensorSource src, int[][] calibration, Options o) throws IOException {
        int seqLen = calibration[0].length, c = cfg.hiddenSize();
        Tensor table = src.get("model.embed_tokens.weight");
        int widest = c;
        for (int l = 0; l < cfg.numLayers(); l++) widest = Math.max(widest, Math.max(cfg.intermediateSize(l), cfg.numHeads(l) * cfg.headDim()));
        int mb = o.microBatch() > 0 ? o.microBatch() : (int) Math.max(1, Math.min(calibration.length, (1L << 24) / ((long) seqLen * widest)));
        List<Tensor> hidden = new ArrayList<>();
        for (int b0 = 0; b0 < calibration.length; b0 += mb) {
            int b = Math.min(mb, calibration.length - b0);
            int[] flat = new int[b * seqLen];
            for (int i = 0; i < b; i++) System.arraycopy(calibration[b0 + i], 0, flat, i * seqLen, seqLen);
            hidden.add(o.kernels().embedding(table, flat).view(b, seqLen, c));
        }
        return hidden;
    }

    /**
     * Layer {@code l}: one dense forward pass over {@code hidden} records every input's statistics; the seven weights
     * are pruned group by group (rounded to the stored dtype, so the next layer sees what is saved); the pruned layer
     * replaces {@code hidden} with the next layer's inputs when {@code feedForward} (a pruned layer comes later); the
     * layer's tensors are written. Returns the seven reports in checkpoint order.
     */
    static List<LinearReport> pruneLayer(ModelConfig cfg, int l, TensorSource src, List<String> names, List<Tensor> hidden, boolean feedForward,
                                         Options o, TensorSink sink) throws IOException {
        LlamaModel one = oneLayer(cfg, l, src, names, o.kernels());
        DecoderLayer layer = one.layer(0);
        EnumMap<LayerGroup, InputStats> stats = calibrate(one, l, hidden, o);

        Map<String, Tensor> pruned = new LinkedHashMap<>();
        EnumMap<Linear, LinearReport> reports = new EnumMap<>(Linear.class);
        for (LayerGroup g : LayerGroup.values()) {
            List<LinearWeight> ws = new ArrayList<>();
            for (Linear lin : g.linears) {
                Tensor w = layer.weight(lin);
                WeightId id = new WeightId(l, lin);
                ws.add(new LinearWeight(id.tensorName(), w.toFloatArray(), w.size(0), w.size(1), o.plan().target(l, id.tensorName())));
            }
            List<LinearReport> rs = o.pruner().prune(stats.remove(g), ws);
            for (int i = 0; i < ws.size(); i++) {
                LinearWeight lw = ws.get(i);
                Linear lin = g.linears.get(i);
                roundTo(src.get(lw.name()).dtype(), lw.w());
                Tensor t = Tensor.of(lw.w(), lw.rows(), lw.cols());
                layer.setWeight(lin, t);
                pruned.put(lw.name(), t);
                reports.put(lin, rs.get(i).of(new WeightId(l, lin), lw.zeros()));
            }
        }

        if (!hidden.isEmpty() && feedForward)
            for (int i = 0; i < hidden.size(); i++) hidden.set(i, one.forwardLayer(0, hidden.get(i), 0, null));

        for (String n : names) {
            Tensor t = pruned.get(n);
            sink.write(n, t != null ? t : src.get(n));
        }
        return new ArrayList<>(reports.values());
    }

    /**
     * Layer {@code l}, which the plan leaves dense: its tensors are written unchanged and, when {@code hidden} is not
     * empty (a pruned layer comes later), its forward pass replaces {@code hidden} with the next layer's inputs.
     */
    static void keepLayer(ModelConfig cfg, int l, TensorSource src, List<String> names, List<Tensor> hidden, Options o, TensorSink sink) throws IOException {
        if (!hidden.isEmpty()) {
            LlamaModel one = oneLayer(cfg, l, src, names, o.kernels());
            for (int i = 0; i < hidden.size(); i++) hidden.set(i, one.forwardLayer(0, hidden.get(i), 0, null));
        }
        for (String n : names) sink.write(n, src.get(n));
    }

    /**
     * One forward pass of the still-dense layer over every micro-batch, recording the statistics of each group's
     * input (q/k/v share one, gate/up share one); empty when the method needs no data.
     */
    static EnumMap<LayerGroup, InputStats> calibrate(LlamaModel one, int l, List<Tensor> hidden, Options o) {
        EnumMap<LayerGroup, InputStats> stats = new EnumMap<>(LayerGroup.class);
        Statistic needs = o.pruner().needs();
        if (needs == Statistic.NONE) return stats;
        for (LayerGroup g : LayerGroup.values()) {
            WeightId first = new WeightId(l, g.linears.getFirst());
            stats.put(g, new InputStats(first.moduleName() + " input", one.layer(0).weight(first.linear()).size(1), needs));
        }
        Observer record = new Observer() {
            @Override
            public void linearInput(int ignored, Linear which, Tensor x) {
                LayerGroup g = LayerGroup.of(which);
                if (g.linears.getFirst() == which) stats.get(g).add(x, o.kernels());
            }
        };
        for (Tensor h : hidden) one.forwardLayer(0, h, 0, record);
        return stats;
    }

    /**
     * A one-layer model holding decoder layer {@code l} of {@code cfg} (its own shapes), with a one-token vocabulary
     * so that no embedding or head is materialised: the model's own forward code runs the layer.
     */
    static LlamaModel oneLayer(ModelConfig cfg, int l, TensorSource src, List<String> names, Kernels k) throws IOException {
        ModelConfig one = cfg.toBuilder().keepLayers(l).vocabSize(1).tieWordEmbeddings(true).build();
        int c = cfg.hiddenSize();
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", Tensor.zeros(1, c));
        t.put("model.norm.weight", Tensor.full(1f, c));
        String from = LAYER_PREFIX + l + ".", to = LAYER_PREFIX + "0.";
        for (String n : names) t.put(to + n.substring(from.length()), src.get(n));
        return LlamaModel.fromTensors(one, t, k);
    }

    /** Rounds F32 values to what {@code dtype} stores (BF16/F16 round to nearest even), in place. */
    static void roundTo(DType dtype, float[] w) {
        switch (dtype) {
            case F32 -> {}
            case BF16 -> { for (int i = 0; i < w.length; i++) w[i] = DType.bf16ToFloat(DType.floatToBf16(w[i])); }
            case F16 -> { for (int i = 0; i < w.length; i++) w[i] = Float.float16ToFloat(Float.floatToFloat16(w[i])); }
            default -> throw new PruningException("weights stored as " + dtype + " cannot be pruned (F32, BF16, F16 only)");
        }
    }

    /** "layer  3/12  kept dense | 0.01 s". */
    static String keptLine(int l, int n, double seconds) {
        return String.format("layer %" + String.valueOf(n).length() + "d/%d  kept dense | %.2f s", l, n, seconds);
    }

    /** "layer  3/12  50.0%  q 50.0 k 50.0 v 50.0 o 50.0 gate 50.0 up 50.0 down 50.0  1.23 s". */
    static String layerLine(int l, int n, List<LinearReport> rs, double seconds) {
        long z = 0, p = 0;
        StringBuilder sb = new StringBuilder();
        for (LinearReport r : rs) {
            z += r.zeros();
            p += r.params();
            sb.append(String.format(" %s %.1f", r.id().linear().shortName(), 100 * r.sparsity()));
        }
        return String.format("layer %" + String.valueOf(n).length() + "d/%d  %5.1f%% |%s | %.2f s", l, n, 100.0 * z / Math.max(1, p), sb, seconds);
    }
}
