package org.prune4j.pruning;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;

/**
 * {@link SparsityPlan#onlyLayers}, the per-layer sensitivity plan: pruning only decoder layer l leaves every other
 * tensor bit-identical to the dense checkpoint, and layer l's weights are exactly what the method gives when layer l is
 * calibrated on the dense outputs of the layers before it (the dense-fed oracle of {@link SequentialCalibrationTest},
 * which shares no propagation code with {@link SequentialPruner}).
 */
class OnlyLayersTest {
    static final Sparsity HALF = new Sparsity.Unstructured(0.5);

    @ParameterizedTest
    @ValueSource(strings = {"magnitude", "wanda", "sparsegpt"})
    void pruningOnlyLayerLChangesOnlyLayerL(String method) throws Exception {
        ModelConfig cfg = SequentialCalibrationTest.config();
        Map<String, Tensor> dense = LlamaModel.random(cfg, 7, 0.3f, SequentialCalibrationTest.K).namedTensors();
        int[][] windows = SequentialCalibrationTest.windows(11, 6, 16, cfg.vocabSize());
        Map<String, Tensor> oracle = SequentialCalibrationTest.handSequenced(cfg, dense, windows, method, HALF, false);
        for (int l = 0; l < cfg.numLayers(); l++) {
            TensorSink.InMemory sink = new TensorSink.InMemory();
            SequentialPruner.Result r = SequentialPruner.run(cfg, TensorSource.of(dense), windows,
                    new SequentialPruner.Options(SequentialCalibrationTest.pruner(method), SparsityPlan.onlyLayers(HALF, Set.of(l)), SequentialCalibrationTest.K,
                            windows.length, null), sink);
            Map<String, Tensor> got = sink.tensors();
            assertEquals(dense.keySet(), got.keySet(), "the checkpoint holds every tensor");
            for (String n : dense.keySet()) {
                boolean inLayer = false;
                for (Linear lin : Linear.values()) inLayer |= n.equals(lin.weightName(l));
                Tensor want = inLayer ? oracle.get(n) : dense.get(n);
                assertArrayEquals(want.toFloatArray(), got.get(n).toFloatArray(), "layer " + l + " only: " + n + (inLayer ? " differs from the dense-fed oracle" : " is not the dense tensor"));
            }
            assertEquals(Linear.values().length, r.linears().size(), "one report per linear of layer " + l);
            for (LinearReport lr : r.linears()) assertEquals(l, lr.id().layer(), lr.name());
            assertEquals(0.5, r.sparsity(), 1e-12, "the pruned layer is at the target");
            assertTrue(SequentialCalibrationTest.differing(dense, got, l) > 0, "layer " + l + " was pruned");
        }
    }

    @Test
    void aLayerOutsideTheModelIsRefusedBeforeAnyWork() throws Exception {
        ModelConfig cfg = SequentialCalibrationTest.config();
        Map<String, Tensor> dense = LlamaModel.random(cfg, 7, 0.3f, SequentialCalibrationTest.K).namedTensors();
        TensorSink.InMemory sink = new TensorSink.InMemory();
        PruningException e = assertThrows(PruningException.class, () -> SequentialPruner.run(cfg, TensorSource.of(dense), null,
                new SequentialPruner.Options(SequentialCalibrationTest.pruner("magnitude"), SparsityPlan.onlyLayers(HALF, Set.of(3)), SequentialCalibrationTest.K, 0, null), sink));
        assertTrue(e.getMessage().contains("layer 3 does not exist") && e.getMessage().contains("3 layers"), e.getMessage());
        assertTrue(sink.tensors().isEmpty(), "nothing written");
        assertThrows(PruningException.class, () -> SparsityPlan.onlyLayers(HALF, Set.of()));
    }

    @Test
    void thePlanSaysWhichLayersItPrunes() {
        SparsityPlan p = SparsityPlan.onlyLayers(HALF, Set.of(3, 1));
        assertEquals(List.of(false, true, false, true), List.of(p.prunes(0), p.prunes(1), p.prunes(2), p.prunes(3)));
        assertFalse(p.isUniform());
        assertNull(p.uniformTarget());
        assertEquals("50% on layers 1, 3 only", p.describe());
        assertEquals("50% on layer 2 only", SparsityPlan.onlyLayers(HALF, Set.of(2)).describe());
        assertTrue(SparsityPlan.uniform(HALF).prunes(7));
    }
}
