package org.prune4j.api.compress;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune4jException;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.testkit.Generators;

/** The compress library call on a generated GQA model: a run stopped inside a candidate resumes there and writes the same bytes. */
class CompressTest {
    @TempDir Path tmp;
    final Kernels k = ScalarKernels.INSTANCE;

    Path dense() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        ModelConfig cfg = ModelConfig.builder("LlamaForCausalLM").hiddenSize(16).numLayers(4).numHeads(4).numKvHeads(2).headDim(4).intermediateSize(32)
                .vocabSize(24).tieWordEmbeddings(false).maxPositionEmbeddings(64).build();
        Path d = Files.createDirectories(tmp.resolve("dense"));
        cfg.write(d.resolve(ModelConfig.FILE));
        SafeTensorsWriter.write(d.resolve("model.safetensors"), Generators.tensors(cfg, r), Map.of());
        for (String f : List.of("calib", "data", "eval")) {
            int[][] w = Generators.windows(r, 1, 96, cfg.vocabSize());
            Files.writeString(tmp.resolve(f + ".json"), Json.write(java.util.Arrays.stream(w[0]).mapToObj(i -> (Object) (long) i).toList()));
        }
        return d;
    }

    CompressOptions options(Path dense, String out) {
        return CompressOptions.builder(dense, "0.7", tmp.resolve("calib.json"), tmp.resolve("data.json"), tmp.resolve("eval.json"), tmp.resolve(out))
                .seqLen(8).batch(2).calibSamples(4).evalWindows(2).tolerance(0.15).maxDepth(0.25).candidates(2).searchSteps(5).finalSteps(4)
                .checkpointEvery(1).lr(1e-2).baselines(Set.of(CompressOptions.Baseline.RANDOM_UNITS)).build();
    }

    /** Collects messages; throws once {@code stopAt} reports {@code stopStep} (a kill after the previous step's checkpoint). */
    static final class Log implements ProgressListener {
        final List<String> lines = new ArrayList<>();
        final String stopAt;
        final int stopStep;

        Log(String stopAt, int stopStep) {
            this.stopAt = stopAt;
            this.stopStep = stopStep;
        }

        @Override public void message(String line) { lines.add(line); }

        @Override public void progress(String stage, long done, long total) {
            if (stage.equals(stopAt) && done == stopStep) throw new IllegalStateException("stopped at " + stage + " step " + done);
        }

        boolean has(String s) { return lines.stream().anyMatch(x -> x.contains(s)); }
    }

    @Test
    void aRunStoppedInsideACandidateContinuesAtItsCheckpointAndWritesTheSameBytes() throws Exception {
        Path dense = dense();
        Log straight = new Log(null, 0);
        Compress.Result a = Compress.run(options(dense, "a"), k, straight);
        assertEquals(2, a.searched().size(), "the test needs two candidates: " + a.summary());
        assertTrue(a.baselines().containsKey("random-units"));

        CompressOptions b = options(dense, "b");
        Log stopped = new Log("candidate 2/2", 3);
        Prune4jException e = assertThrows(Prune4jException.class, () -> Compress.run(b, k, stopped));
        assertTrue(e.getMessage().contains("stopped at candidate 2/2 step 3"), e.getMessage());
        assertTrue(Files.isRegularFile(b.workDir().resolve("candidate-0.json")));
        assertTrue(Files.isDirectory(b.workDir().resolve("candidate-1.ckpt")));
        assertFalse(Files.exists(b.out()));

        Log again = new Log(null, 0);
        Compress.Result r = Compress.run(b, k, again);
        assertTrue(again.has("candidate 1/2 (") && again.has("done earlier"), again.lines.toString());
        assertTrue(again.has("candidate 2/2: resumed at step 2 of 5"), again.lines.toString());
        assertTrue(again.has("dense scores read from"), again.lines.toString());
        assertFalse(again.has("candidate 2/2 step 1/5") || again.has("candidate 2/2 step 2/5"), "steps 1-2 are not run again");
        assertEquals(1, r.resumedCandidates());
        assertEquals(a.rows().get(1).get("losses"), r.rows().get(1).get("losses"));
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/model.safetensors")), Files.readAllBytes(tmp.resolve("b/model.safetensors")));
        assertEquals(Files.readString(tmp.resolve("a/compress/losses.csv")), Files.readString(tmp.resolve("b/compress/losses.csv")));
    }

    @Test
    void optionsOutOfRangeAreInvalidOptionsAndWriteNothing() throws Exception {
        Path dense = dense();
        CompressOptions.Builder o = CompressOptions.builder(dense, "0.1", tmp.resolve("calib.json"), tmp.resolve("data.json"), tmp.resolve("eval.json"), tmp.resolve("x"));
        Prune4jException.InvalidOptions low = assertThrows(Prune4jException.InvalidOptions.class, () -> Compress.run(o.build(), k, ProgressListener.NONE));
        assertTrue(low.getMessage().contains("smallest reachable size"), low.getMessage());
        assertThrows(Prune4jException.InvalidOptions.class, () -> o.searchSteps(0).build());
        assertThrows(Prune4jException.InvalidOptions.class, () -> CompressOptions.Baseline.parse("random-units,best"));
        assertEquals(Set.of(CompressOptions.Baseline.RANDOM_UNITS, CompressOptions.Baseline.RANDOM_CANDIDATE), CompressOptions.Baseline.parse("random-candidate, random-units"));
        assertEquals(Set.of(), CompressOptions.Baseline.parse("none"));
        assertFalse(Files.exists(tmp.resolve("x")));
        assertFalse(Files.exists(tmp.resolve("x.work")));
    }
}
