package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.ref.WeakReference;
import org.junit.jupiter.api.Test;
import org.prune4j.autograd.Tape;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.tensor.NM;
import org.prune4j.tensor.NMWeight;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;

/**
 * {@code --sparse-kernels on|auto} at the model level, for both compressed forms a layer can keep (the NMWeight of the
 * expand kernel, the NMPanel of the panel kernel, forced with {@code prune4j.nm.decode}): a 2:4 model gives the dense
 * model's logits in prefill (GEMM from the compressed copy) and in decode (GEMV) to 1e-5 of the largest logit (the
 * bound of KvCacheTest and SparseKernelsCliTest: only the float summation order differs); {@code on} no longer
 * references the dense weights (a weak reference to one is cleared by GC, while {@code auto} still holds it), holds
 * one compressed copy per weight, and refuses training by name.
 */
class SparseKernelsTest {
    private static final VectorKernels K = new VectorKernels(2);

    /** A random GQA model, every linear weight magnitude-pruned to 2:4 (the 2 largest |w| of each 4 kept). */
    static LlamaModel twoFour() {
        ModelConfig cfg;
        try {
            cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(64).vocabSize(50).numLayers(2).headDim(16)
                    .numHeads(4).numKvHeads(2).intermediateSize(96).rmsNormEps(1e-5).ropeTheta(10000).tieWordEmbeddings(false)
                    .maxPositionEmbeddings(64).build();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        LlamaModel m = LlamaModel.random(cfg, 11, 0.3f, K);
        for (int i = 0; i < m.numLayers(); i++)
            for (Linear l : Linear.values()) {
                Tensor w = m.layer(i).weight(l);
                float[] v = w.toFloatArray();
                for (int g = 0; g < v.length; g += 4) {
                    Integer[] order = {g, g + 1, g + 2, g + 3};
                    java.util.Arrays.sort(order, (a, b) -> Float.compare(Math.abs(v[a]), Math.abs(v[b])));
                    v[order[0]] = 0f;
                    v[order[1]] = 0f;
                }
                m.layer(i).setWeight(l, Tensor.of(v, w.size(0), w.size(1)));
            }
        return m;
    }

    /** Runs {@code body} with the decode kernel forced to {@code kernel} (expand: NMWeight kept; panel: NMPanel kept). */
    private static void withDecodeKernel(String kernel, Runnable body) {
        String before = System.getProperty("prune4j.nm.decode");
        System.setProperty("prune4j.nm.decode", kernel);
        try {
            body.run();
        } finally {
            if (before == null) System.clearProperty("prune4j.nm.decode");
            else System.setProperty("prune4j.nm.decode", before);
        }
    }

    @Test
    void compressedOnlyGivesTheDenseLogitsInPrefillAndDecode() {
        for (String kernel : new String[] {"expand", "panel"})
            for (SparseKernels.Mode mode : new SparseKernels.Mode[] {SparseKernels.Mode.ON, SparseKernels.Mode.AUTO})
                withDecodeKernel(kernel, () -> {
                    LlamaModel m = twoFour();
                    int[][] toks = KvCacheTest.tokens(2, 12, 50, 5);
                    Tensor dense = m.logits(toks);
                    double scale = GoldenTest.maxAbs(dense);
                    SparseKernels.Report r = SparseKernels.apply(m, mode);
                    String what = mode + " " + kernel;
                    assertEquals(14, r.compressed(), what);
                    for (int i = 0; i < m.numLayers(); i++)
                        for (Linear l : Linear.values()) {
                            NMLinear nl = (NMLinear) m.layer(i).linear(l);
                            assertEquals(mode == SparseKernels.Mode.AUTO, nl.holdsDense(), what + " " + l.weightName(i));
                            assertEquals(kernel.equals("panel"), nl.holdsPanel(), what + ": the copy the decode kernel reads");
                        }
                    double pre = GoldenTest.maxAbsDiff(m.logits(toks), dense) / scale;
                    assertTrue(pre < 1e-5, what + " prefill: " + pre);
                    KvCache cache = m.newCache(2, 12);
                    m.forward(new int[][] {java.util.Arrays.copyOf(toks[0], 6), java.util.Arrays.copyOf(toks[1], 6)}, cache);
                    for (int t = 6; t < 12; t++) {
                        Tensor step = m.forward(new int[][] {{toks[0][t]}, {toks[1][t]}}, cache);
                        double err = GoldenTest.maxAbsDiff(step, dense.narrow(1, t, 1)) / scale;
                        assertTrue(err < 1e-5, what + " decode position " + t + ": " + err);
                    }
                });
    }

    @Test
    void onDropsTheDenseWeightAndAutoKeepsIt() {
        LlamaModel on = twoFour(), auto = twoFour();
        WeakReference<Tensor> onDense = new WeakReference<>(on.layer(1).weight(Linear.UP));
        Tensor autoDense = auto.layer(1).weight(Linear.UP);
        SparseKernels.apply(on, SparseKernels.Mode.ON);
        SparseKernels.apply(auto, SparseKernels.Mode.AUTO);
        assertSame(autoDense, auto.layer(1).weight(Linear.UP), "auto keeps the dense weight itself");
        for (int i = 0; i < 50 && onDense.get() != null; i++) {
            System.gc();
            Thread.onSpinWait();
        }
        assertNull(onDense.get(), "on: nothing references the dense up_proj weight any more");
        assertFalse(on.heldTensors().containsKey("model.layers.1.mlp.up_proj.weight"), "held tensors skip compressed-only weights");
        assertTrue(auto.heldTensors().containsKey("model.layers.1.mlp.up_proj.weight"));
    }

    @Test
    void aCompressedOnlyWeightDecompressesOnDemandRefusesTrainingAndTurnsDenseWhenReplaced() {
        LlamaModel m = twoFour();
        Tensor before = m.layer(0).weight(Linear.Q);
        long params = m.parameterCount();
        int[][] toks = KvCacheTest.tokens(1, 5, 50, 2);
        SparseKernels.Report r = SparseKernels.apply(m, SparseKernels.Mode.ON);
        assertTrue(r.denseDropped());
        assertEquals(params, m.parameterCount(), "counted from the shapes");
        assertArrayEquals(before.toFloatArray(), m.layer(0).weight(Linear.Q).toFloatArray(), "decompressed on demand, exactly");
        assertArrayEquals(before.toFloatArray(), m.namedTensors().get("model.layers.0.self_attn.q_proj.weight").toFloatArray());

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.loss(new Tape(K), toks, Observer.NONE));
        assertTrue(e.getMessage().contains("model.layers.0.self_attn.q_proj.weight") && e.getMessage().contains("training"), e.getMessage());

        Tensor replaced = Tensor.zeros(before.shape());
        m.layer(0).setWeight(Linear.Q, replaced);
        assertInstanceOf(LinearLayer.Dense.class, m.layer(0).linear(Linear.Q), "a replaced weight runs dense");
        assertSame(replaced, m.layer(0).weight(Linear.Q));
    }

    @Test
    void eachWeightKeepsOneCompressedCopyOfTheBytesItsKernelReads() {
        withDecodeKernel("panel", () -> {
            LlamaModel m = twoFour();
            SparseKernels.Report r = SparseKernels.apply(m, SparseKernels.Mode.ON);
            assertEquals(0.5 + 1.0 / 16, (double) r.nmBytes() / r.denseBytes(), 1e-12, "2:4 F32 panels, whole windows");
        });
        withDecodeKernel("expand", () -> {
            LlamaModel m = twoFour();
            SparseKernels.Report r = SparseKernels.apply(m, SparseKernels.Mode.ON);
            long want = 0;
            for (int i = 0; i < m.numLayers(); i++)
                for (Linear l : Linear.values())
                    want += NMWeight.compress(m.layer(i).weight(l), new NM(2, 4), org.prune4j.tensor.DType.F32, "w").bytes();
            assertEquals(want, r.nmBytes(), "the NMWeights alone");
            assertFalse(((NMLinear) m.layer(0).linear(Linear.K)).holdsPanel());
        });
    }
}
