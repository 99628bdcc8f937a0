package org.prune4j.pruning.structured;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.LlamaModel;

/**
 * Minitron scored one decoder layer at a time from the mapped checkpoint ({@link LayerStream}) must give the scores
 * of the model loaded whole: the same batches go through the same layers with the same kernels, so every
 * statistic adds the same terms in the same order. Exact equality, on the scalar and the vector kernels, F32 and
 * BF16 checkpoints.
 */
class StreamedMinitronTest {
    static final VectorKernels VECTOR = new VectorKernels(2);
    @TempDir Path tmp;
    int run;

    @AfterAll
    static void close() { VECTOR.close(); }

    @Test
    void streamedScoresEqualInMemoryScoresBitForBit() {
        qt().withExamples(16).forAll(integers().between(0, 1_000_000)).checkAssert(seed -> {
            SplittableRandom r = new SplittableRandom(seed);
            ModelConfig cfg = HfPaddingTest.randomConfig(r);
            Kernels k = r.nextBoolean() ? ScalarKernels.INSTANCE : VECTOR;
            DType dtype = r.nextBoolean() ? DType.F32 : DType.BF16;
            Path dir = save(TinyModels.model(cfg, seed), dtype);
            int block = 1 + r.nextInt(cfg.numLayers());
            Aggregation seq = Aggregation.values()[r.nextInt(Aggregation.values().length)];
            Aggregation agg = Aggregation.values()[r.nextInt(Aggregation.values().length)];
            int[][] windows = TinyModels.windows(seed + 7, 1 + r.nextInt(6), 2 + r.nextInt(7), cfg.vocabSize());
            int batch = 1 + r.nextInt(4); // the last batch may be smaller
            Set<UnitKind> kinds = EnumSet.allOf(UnitKind.class);
            Map<String, String> opts = Map.of("block", String.valueOf(block));
            try (SafeTensors st = SafeTensors.open(dir)) {
                LlamaModel whole = LlamaModel.load(st, cfg, k);
                Map<UnitKind, UnitScores> want = new Minitron().score(new ScoringInput(whole, windows, batch, seq, agg, 0, opts, null), kinds);
                LayerStream ls = new LayerStream(cfg, TensorSource.of(st), k);
                Map<UnitKind, UnitScores> got = new Minitron().score(new ScoringInput(null, windows, batch, seq, agg, 0, opts, null, ls), kinds);
                assertEquals(want.keySet(), got.keySet());
                for (UnitKind kind : kinds)
                    for (int row = 0; row < want.get(kind).scores().length; row++) {
                        int at = row;
                        assertArrayEquals(want.get(kind).row(row), got.get(kind).row(row), 0.0,
                                () -> kind + " row " + at + ", " + k.getClass().getSimpleName() + ", " + dtype + ", " + seq + "/" + agg + ", batch " + batch);
                    }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void theLossDepthMetricIsRefusedWhenStreamed() throws IOException {
        ModelConfig cfg = TinyModels.config(TinyModels.Attention.GQA, false, true, 2);
        Path dir = save(TinyModels.model(cfg, 1), DType.F32);
        try (SafeTensors st = SafeTensors.open(dir)) {
            LayerStream ls = new LayerStream(cfg, TensorSource.of(st), ScalarKernels.INSTANCE);
            Map<String, String> opts = Map.of("depth-metric", "loss");
            assertFalse(new Minitron().streams(EnumSet.of(UnitKind.LAYER), opts));
            assertTrue(new Minitron().streams(EnumSet.of(UnitKind.LAYER, UnitKind.NEURON), Map.of()));
            StructuredException e = assertThrows(StructuredException.class, () -> new Minitron().score(
                    new ScoringInput(null, TinyModels.windows(1, 2, 4, 23), 1, null, null, 0, opts, null, ls), EnumSet.of(UnitKind.LAYER)));
            assertTrue(e.getMessage().contains("--depth-metric loss"), e.getMessage());
        }
    }

    @Test
    void pruneWithStreamOnWritesWhatTheInMemoryRunWrites() throws IOException {
        ModelConfig cfg = TinyModels.config(TinyModels.Attention.GQA, true, false, 3);
        Path dir = save(TinyModels.model(cfg, 4), DType.BF16);
        int[][] windows = TinyModels.windows(2, 5, 6, cfg.vocabSize());
        Targets t = Targets.parse(List.of("num_attention_heads=2", "intermediate_size=7", "hidden_size=12", "num_hidden_layers=2"));
        byte[][] out = new byte[2][];
        for (String mode : List.of("off", "on")) {
            Path o = tmp.resolve("pruned-" + mode);
            StructuredPruner.Job job = new StructuredPruner.Job("minitron", t, Planner.Options.DEFAULT, null, null, () -> windows, 2, null, null, 0,
                    Map.of(StructuredPruner.STREAM, mode), o, false, Map.of());
            try (SafeTensors st = SafeTensors.open(dir)) {
                StructuredPruner.run(dir, cfg, TensorSource.of(st), () -> LlamaModel.load(st, cfg, ScalarKernels.INSTANCE), ScalarKernels.INSTANCE, job,
                        EquivalenceTest.QUIET);
            }
            out[mode.equals("off") ? 0 : 1] = Files.readAllBytes(o.resolve("model.safetensors"));
        }
        assertArrayEquals(out[0], out[1]);
        StructuredPruner.Job bad = new StructuredPruner.Job("minitron", t, Planner.Options.DEFAULT, null, null, () -> windows, 2, null, null, 0,
                Map.of(StructuredPruner.STREAM, "sometimes"), tmp.resolve("bad"), false, Map.of());
        try (SafeTensors st = SafeTensors.open(dir)) {
            StructuredException e = assertThrows(StructuredException.class, () -> StructuredPruner.run(dir, cfg, TensorSource.of(st),
                    () -> LlamaModel.load(st, cfg, ScalarKernels.INSTANCE), ScalarKernels.INSTANCE, bad, EquivalenceTest.QUIET));
            assertTrue(e.getMessage().contains("--stream-layers"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("bad")));
    }

    /** The model as a folder, its tensors stored as {@code dtype}. */
    Path save(LlamaModel m, DType dtype) {
        try {
            Path dir = tmp.resolve("m" + run++);
            Files.createDirectories(dir);
            m.config().write(dir.resolve(ModelConfig.FILE));
            Map<String, Tensor> t = new LinkedHashMap<>();
            m.namedTensors().forEach((n, v) -> t.put(n, dtype == DType.F32 ? v : v.to(dtype, Arena.ofAuto())));
            SafeTensorsWriter.write(dir.resolve("model.safetensors"), t, Map.of());
            return dir;
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
