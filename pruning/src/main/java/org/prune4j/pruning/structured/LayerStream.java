package org.prune4j.pruning.structured;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * The dense model read one decoder layer at a time from the (memory-mapped) checkpoint, so activation criteria
 * score models larger than the heap: the caller holds the residual stream of the calibration windows, runs layer l
 * over it, records what it needs and drops the layer before loading the next. Only one layer's weights (as F32) are
 * on the heap at a time.
 */
public final class LayerStream {
    private static final String PREFIX = "model.layers.";
    private final ModelConfig cfg;
    private final TensorSource src;
    private final Kernels k;

    /** A stream over the checkpoint {@code src} of the model {@code cfg}, computing with {@code k}. */
    public LayerStream(ModelConfig cfg, TensorSource src, Kernels k) {
        this.cfg = cfg;
        this.src = src;
        this.k = k;
    }

    public ModelConfig config() { return cfg; }

    public Kernels kernels() { return k; }

    public int numLayers() { return cfg.numLayers(); }

    /** The bytes of every weight of the model as F32, what loading it whole onto the heap would take. */
    public static long f32Bytes(ModelConfig cfg) {
        long n = 0;
        for (int[] s : LlamaModel.expectedShapes(cfg).values()) {
            long e = 1;
            for (int d : s) e *= d;
            n += e;
        }
        return 4 * n;
    }

    /** Token embeddings [B, T, C] of the windows {@code tokens} [B][T] (rows read from the mapped table). */
    public Tensor embed(int[][] tokens) {
        int b = tokens.length, t = tokens[0].length, c = cfg.hiddenSize();
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) System.arraycopy(tokens[i], 0, flat, i * t, t);
        try {
            return k.embedding(src.get("model.embed_tokens.weight"), flat).view(b, t, c);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Decoder layer {@code l} as a one-layer model (its own shapes, a one-token vocabulary so no embedding or head is
     * materialised), whose observer calls are relabelled with {@code l}: run it with {@link #forward}.
     */
    public Layer layer(int l) {
        try {
            ModelConfig one = cfg.toBuilder().keepLayers(l).vocabSize(1).tieWordEmbeddings(true).build();
            int c = cfg.hiddenSize();
            Map<String, Tensor> t = new LinkedHashMap<>();
            t.put("model.embed_tokens.weight", Tensor.zeros(1, c));
            t.put("model.norm.weight", Tensor.full(1f, c));
            String from = PREFIX + l + ".", to = PREFIX + "0.";
            for (String n : src.names()) if (n.startsWith(from)) t.put(to + n.substring(from.length()), src.get(n));
            return new Layer(l, LlamaModel.fromTensors(one, t, k));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One loaded decoder layer. */
    public record Layer(int index, LlamaModel model) {
        /** The layer on hidden states [B, T, C] -> [B, T, C]; {@code obs} sees this layer's index. */
        public Tensor forward(Tensor hidden, Observer obs) {
            return model.forwardLayer(0, hidden, 0, relabel(obs, index));
        }
    }

    /** {@code obs} with every layer index replaced by {@code l}. */
    static Observer relabel(Observer obs, int l) {
        return new Observer() {
            @Override public void linearInput(int ignored, org.prune4j.transformer.Linear which, Tensor x) { obs.linearInput(l, which, x); }
            @Override public void headOutputs(int ignored, Tensor perHead) { obs.headOutputs(l, perHead); }
            @Override public void layerInput(int ignored, Tensor h) { obs.layerInput(l, h); }
            @Override public void layerOutput(int ignored, Tensor h) { obs.layerOutput(l, h); }
        };
    }
}
