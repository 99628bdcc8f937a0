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
        int numLayers = cfg.numLayers();
        Statistic needs = o.pruner().needs();

        // ---- validate everything before any work, so bad input fails fast and writes nothing
        Set<String> present = new HashSet<>(src.names());
        Set<String> prunable = new HashSet<>();
        for (int l = 0; l < numLayers; l++)
            for (Linear lin : Linear.values()) {
                String name = lin.weightName(l);
                if (!present.contains(name)) throw new PruningException("the checkpoint has no tensor " + name);
                prunable.add(name.substring(0, name.length() - ".weight".length()));
            }
        o.plan().validate(numLayers, prunable);
        for (int l = 0; l < numLayers; l++)
            for (Linear lin : Linear.values()) {
                String name = lin.weightName(l);
                int cols = src.get(name).size(1);
                if (o.plan().target(l, name) instanceof Sparsity.Groups g) g.requireFits(cols, name);
            }
        int seqLen = 0;
        if (needs != Statistic.NONE) {
            if (calibration == null || calibration.length == 0) throw new PruningException(o.pruner().name() + " needs calibration data (--calib)");
            seqLen = calibration[0].length;
            for (int[] w : calibration)
                if (w.length != seqLen) throw new PruningException("calibration windows must all have " + seqLen + " tokens");
        }

        // ---- layout: non-layer tensors first, then the layers in order
        List<String> head = new ArrayList<>();
        List<List<String>> layerNames = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) layerNames.add(new ArrayList<>());
        for (String n : src.names()) {
            int l = layerOf(n);
            if (l >= 0 && l < numLayers) layerNames.get(l).add(n);
            else head.add(n);
        }
        for (String n : head) declare(sink, n, src.get(n));
        for (List<String> names : layerNames) for (String n : names) declare(sink, n, src.get(n));
        for (String n : head) sink.write(n, src.get(n));

        // ---- calibration hidden states [b, T, C] per micro-batch
        List<Tensor> hidden = new ArrayList<>();
        long tokens = 0;
        int c = cfg.hiddenSize();
        if (needs != Statistic.NONE) {
            Tensor table = src.get("model.embed_tokens.weight");
            int widest = c;
            for (int l = 0; l < numLayers; l++) widest = Math.max(widest, Math.max(cfg.intermediateSize(l), cfg.numHeads(l) * cfg.headDim()));
            int mb = o.microBatch() > 0 ? o.microBatch() : (int) Math.max(1, Math.min(calibration.length, (1L << 24) / ((long) seqLen * widest)));
            for (int b0 = 0; b0 < calibration.length; b0 += mb) {
                int b = Math.min(mb, calibration.length - b0);
                int[] flat = new int[b * seqLen];
                for (int i = 0; i < b; i++) System.arraycopy(calibration[b0 + i], 0, flat, i * seqLen, seqLen);
                hidden.add(o.kernels().embedding(table, flat).view(b, seqLen, c));
            }
            tokens = (long) calibration.length * seqLen;
        }

        List<LinearReport> reports = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            long lt0 = System.nanoTime();
            LlamaModel one = oneLayer(cfg, l, src, layerNames.get(l), o.kernels());
            DecoderLayer layer = one.layer(0);
            String where = LAYER_PREFIX + l;

            // one dense forward pass records every input's statistics
            EnumMap<LayerGroup, InputStats> stats = new EnumMap<>(LayerGroup.class);
            if (needs != Statistic.NONE) {
                for (LayerGroup g : LayerGroup.values()) {
                    Linear first = g.linears.getFirst();
                    stats.put(g, new InputStats(first.weightName(l).replace(".weight", "") + " input", layer.weight(first).size(1), needs));
                }
                Observer record = new Observer() {
                    @Override
                    public void linearInput(int ignored, Linear which, Tensor x) {
                        LayerGroup g = LayerGroup.of(which);
                        if (g.linears.getFirst() == which) stats.get(g).add(x, o.kernels());
                    }
                };
                for (Tensor h : hidden) one.forwardLayer(0, h, 0, record);
            }

            // prune the seven weights, group by group; round them to the stored dtype so the next layer sees what is saved
            Map<String, Tensor> pruned = new LinkedHashMap<>();
            List<LinearReport> layerReports = new ArrayList<>();
            for (LayerGroup g : LayerGroup.values()) {
                List<LinearWeight> ws = new ArrayList<>();
                for (Linear lin : g.linears) {
                    Tensor w = layer.weight(lin);
                    String name = lin.weightName(l);
                    ws.add(new LinearWeight(name, w.toFloatArray(), w.size(0), w.size(1), o.plan().target(l, name)));
                }
                List<LinearReport> rs = o.pruner().prune(stats.get(g), ws);
                stats.remove(g);
                for (int i = 0; i < ws.size(); i++) {
                    LinearWeight lw = ws.get(i);
                    roundTo(src.get(lw.name()).dtype(), lw.w());
                    Tensor t = Tensor.of(lw.w(), lw.rows(), lw.cols());
                    layer.setWeight(g.linears.get(i), t);
                    pruned.put(lw.name(), t);
                    LinearReport r = rs.get(i);
                    layerReports.add(new LinearReport(r.name(), r.rows(), r.cols(), lw.zeros(), r.target(), r.loss()));
                }
            }
            layerReports.sort(java.util.Comparator.comparingInt(r -> Linear.valueOf(linearOf(r.name())).ordinal()));
            reports.addAll(layerReports);

            // the pruned layer produces the next layer's inputs
            if (needs != Statistic.NONE && l + 1 < numLayers)
                for (int i = 0; i < hidden.size(); i++) hidden.set(i, one.forwardLayer(0, hidden.get(i), 0, null));

            for (String n : layerNames.get(l)) {
                Tensor t = pruned.get(n);
                sink.write(n, t != null ? t : src.get(n));
            }
            if (o.log() != null) o.log().println(layerLine(l, numLayers, layerReports, (System.nanoTime() - lt0) / 1e9));
        }
        return new Result(reports, (System.nanoTime() - t0) / 1e9, tokens);
    }

    private static void declare(TensorSink sink, String name, Tensor t) throws IOException {
        sink.declare(name, t.dtype(), t.shape());
    }

    /** Q for "model.layers.3.self_attn.q_proj.weight". */
    static String linearOf(String weightName) {
        for (Linear l : Linear.values()) if (weightName.endsWith("." + l.suffix() + ".weight")) return l.name();
        throw new IllegalArgumentException(weightName);
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

    /** "layer  3/12  50.0%  q 50.0 k 50.0 v 50.0 o 50.0 gate 50.0 up 50.0 down 50.0  1.23 s". */
    static String layerLine(int l, int n, List<LinearReport> rs, double seconds) {
        long z = 0, p = 0;
        StringBuilder sb = new StringBuilder();
        for (LinearReport r : rs) {
            z += r.zeros();
            p += r.params();
            sb.append(String.format(" %s %.1f", linearOf(r.name()).toLowerCase(java.util.Locale.ROOT), 100 * r.sparsity()));
        }
        return String.format("layer %" + String.valueOf(n).length() + "d/%d  %5.1f%% |%s | %.2f s", l, n, 100.0 * z / Math.max(1, p), sb, seconds);
    }
}
