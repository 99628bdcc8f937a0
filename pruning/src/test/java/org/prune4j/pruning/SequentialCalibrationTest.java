package org.prune4j.pruning;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/**
 * Layer-by-layer calibration, checked against its definition: layer l is calibrated on the outputs of layers 0..l-1
 * already pruned. The oracle sequences the same pruner by hand over the whole model (rebuilt from the tensors pruned
 * so far, run end to end with an observer on layer l), so it shares no code with {@link SequentialPruner}'s
 * one-layer-at-a-time propagation; on the same kernels both must give the same bits. The second oracle is the
 * regression (dense hidden states fed forward), and the test checks it would be caught on this model.
 */
class SequentialCalibrationTest {
    static final Kernels K = ScalarKernels.INSTANCE;

    /** A random 3-layer GQA model whose layers differ in MLP width, with weights large enough that layers matter. */
    static ModelConfig config() throws Exception {
        return ModelConfig.builder("LlamaForCausalLM").hiddenSize(32).vocabSize(40).numLayers(3).headDim(8)
                .numHeads(4).numKvHeads(2).intermediateSize(48).intermediateSize(1, 40).maxPositionEmbeddings(64).build();
    }

    static int[][] windows(long seed, int n, int len, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] w = new int[n][len];
        for (int[] row : w) for (int t = 0; t < len; t++) row[t] = r.nextInt(vocab);
        return w;
    }

    static LinearPruner pruner(String method) {
        return Methods.create(method, false, K, 1);
    }

    /**
     * The hand-sequenced oracle: for each layer l, the whole model made of {@code pruned ? the tensors pruned so far :
     * the dense tensors} runs the windows; layer l's dense linear inputs are recorded; its seven weights are pruned.
     */
    static Map<String, Tensor> handSequenced(ModelConfig cfg, Map<String, Tensor> dense, int[][] windows, String method, Sparsity s, boolean pruned) {
        LinearPruner p = pruner(method);
        Map<String, Tensor> current = new LinkedHashMap<>(dense);
        for (int l = 0; l < cfg.numLayers(); l++) {
            LlamaModel m = LlamaModel.fromTensors(cfg, pruned ? current : dense, K);
            Map<LayerGroup, InputStats> stats = new EnumMap<>(LayerGroup.class);
            for (LayerGroup g : LayerGroup.values())
                stats.put(g, new InputStats("oracle", m.layer(l).weight(g.linears.getFirst()).size(1), p.needs()));
            int layer = l;
            m.logits(windows, new Observer() {
                @Override
                public void linearInput(int at, Linear which, Tensor x) {
                    if (at == layer && LayerGroup.of(which).linears.getFirst() == which) stats.get(LayerGroup.of(which)).add(x, K);
                }
            });
            for (LayerGroup g : LayerGroup.values()) {
                List<LinearWeight> ws = new ArrayList<>();
                for (Linear lin : g.linears) {
                    Tensor w = dense.get(lin.weightName(l));
                    ws.add(new LinearWeight(lin.weightName(l), w.toFloatArray(), w.size(0), w.size(1), s));
                }
                p.prune(stats.get(g), ws);
                for (LinearWeight w : ws) current.put(w.name(), Tensor.of(w.w(), w.rows(), w.cols()));
            }
        }
        return current;
    }

    static long differing(Map<String, Tensor> a, Map<String, Tensor> b, int layer) {
        long n = 0;
        for (Linear lin : Linear.values()) {
            float[] x = a.get(lin.weightName(layer)).toFloatArray(), y = b.get(lin.weightName(layer)).toFloatArray();
            for (int i = 0; i < x.length; i++) if (Float.floatToIntBits(x[i]) != Float.floatToIntBits(y[i])) n++;
        }
        return n;
    }

    @ParameterizedTest
    @ValueSource(strings = {"wanda", "sparsegpt"})
    void layerLIsCalibratedOnTheOutputsOfThePrunedLayersBeforeIt(String method) throws Exception {
        ModelConfig cfg = config();
        Map<String, Tensor> dense = LlamaModel.random(cfg, 7, 0.3f, K).namedTensors();
        int[][] windows = windows(11, 6, 16, cfg.vocabSize());
        Sparsity half = new Sparsity.Unstructured(0.5);

        TensorSink.InMemory sink = new TensorSink.InMemory();
        SequentialPruner.run(cfg, TensorSource.of(dense), windows,
                new SequentialPruner.Options(pruner(method), SparsityPlan.uniform(half), K, windows.length, null), sink);
        Map<String, Tensor> got = sink.tensors();

        Map<String, Tensor> oracle = handSequenced(cfg, dense, windows, method, half, true);
        assertEquals(oracle.keySet(), got.keySet(), "the pruned checkpoint holds every tensor");
        for (String n : oracle.keySet())
            assertArrayEquals(oracle.get(n).toFloatArray(), got.get(n).toFloatArray(), n + " differs from the hand-sequenced oracle");

        // the regression this test exists for: calibrating every layer on dense hidden states gives other weights from
        // layer 1 on (layer 0 sees the embeddings either way), so feeding the dense states forward would fail above
        Map<String, Tensor> denseFed = handSequenced(cfg, dense, windows, method, half, false);
        assertEquals(0, differing(denseFed, got, 0), "layer 0 is calibrated on the embeddings in both");
        for (int l = 1; l < cfg.numLayers(); l++)
            assertTrue(differing(denseFed, got, l) > 0, "layer " + l + ": dense-fed calibration must differ on this model, else the test proves nothing");
    }
}
