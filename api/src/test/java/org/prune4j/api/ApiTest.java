package org.prune4j.api;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.PrunerProvider;
import org.prune4j.pruning.calibration.InputStats;
import org.prune4j.pruning.calibration.Statistic;
import org.prune4j.pruning.criterion.Criterion;
import org.prune4j.pruning.verify.CheckpointVerifier;
import org.prune4j.pruning.verify.VerifyReport;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.testkit.Generators;

/** The library entry points on a generated model: user criteria by class name and by ServiceLoader, typed errors, save/load. */
class ApiTest {
    @TempDir Path tmp;

    /** A user criterion: twice Wanda's score, computed as Wanda computes it (doubling is exact, so the ranking is Wanda's). */
    public static final class DoubledWanda implements Criterion {
        @Override public String name() { return "doubled-wanda"; }
        @Override public Statistic needs() { return Statistic.COLUMN_NORMS; }
        @Override public float[] score(float[] w, int rows, int cols, InputStats x) {
            float[] s = new float[w.length];
            for (int i = 0; i < w.length; i++) s[i] = 2 * (Math.abs(w[i]) * (float) Math.sqrt(x.sumSq()[i % cols]));
            return s;
        }
    }

    /** A provider found by ServiceLoader (src/test/resources/META-INF/services): magnitude under another name. */
    public static final class ReverseProvider implements PrunerProvider {
        @Override public String name() { return "test-provider"; }
        @Override public LinearPruner create(Kernels kernels, int threads) { return Methods.magnitude(true); }
    }

    Path dense() throws Exception {
        SplittableRandom r = new SplittableRandom(1);
        ModelConfig cfg;
        do cfg = Generators.config(r); while (cfg.hasPerLayerShapes() || cfg.intermediateSize(0) < 2); // uniform, so a uniform target applies
        Path d = Files.createDirectories(tmp.resolve("dense"));
        cfg.write(d.resolve(ModelConfig.FILE));
        SafeTensorsWriter.write(d.resolve("model.safetensors"), Generators.tensors(cfg, r), Map.of());
        int[][] w = Generators.windows(r, 1, 64, cfg.vocabSize());
        Files.writeString(tmp.resolve("calib.json"), Json.write(java.util.Arrays.stream(w[0]).mapToObj(i -> (Object) (long) i).toList()));
        return d;
    }

    PruneOptions options(Path dense, String method, String out) {
        return PruneOptions.builder(dense, method, tmp.resolve(out)).sparsity(0.5).calib(tmp.resolve("calib.json")).calibSamples(4).seqLen(16).build();
    }

    @Test
    void userCriteriaRunByClassNameAndServiceLoaderThroughTheSamePipeline() throws Exception {
        Path dense = dense();
        Kernels k = ScalarKernels.INSTANCE;
        Prune.Result wanda = Prune.unstructured(options(dense, "wanda", "wanda"), k, ProgressListener.NONE);
        Prune.Result mine = Prune.unstructured(options(dense, DoubledWanda.class.getName(), "mine"), k, ProgressListener.NONE);
        // the same ranking through the same pipeline: the same weights, tensor for tensor
        try (var a = org.prune4j.io.safetensors.SafeTensors.open(tmp.resolve("wanda")); var b = org.prune4j.io.safetensors.SafeTensors.open(tmp.resolve("mine"))) {
            for (var i : a.infos()) assertArrayEquals(a.get(i.name()).toFloatArray(), b.get(i.name()).toFloatArray(), 0f, i.name());
        }
        assertEquals(wanda.result().zeros(), mine.result().zeros());
        assertTrue(wanda.result().zeros() > 0);
        Prune.unstructured(options(dense, "test-provider", "provider"), k, ProgressListener.NONE);
        VerifyReport v = Verify.run(dense, tmp.resolve("provider"), new CheckpointVerifier.Options(null, null, 0.5, true, 5));
        assertTrue(v.passed(), v.text());
    }

    @Test
    void errorsAreTypedAndNameTheProblem() throws Exception {
        Path dense = dense();
        var bad = assertThrows(Prune4jException.InvalidOptions.class,
                () -> Prune.unstructured(options(dense, "com.example.Missing", "x"), ScalarKernels.INSTANCE, ProgressListener.NONE));
        assertTrue(bad.getMessage().contains("com.example.Missing") && bad.getMessage().contains("no such class"), bad.getMessage());
        var notOne = assertThrows(Prune4jException.InvalidOptions.class,
                () -> Prune.unstructured(options(dense, String.class.getName(), "x"), ScalarKernels.INSTANCE, ProgressListener.NONE));
        assertTrue(notOne.getMessage().contains("implements neither"), notOne.getMessage());
        assertThrows(Prune4jException.InvalidOptions.class, () -> PruneOptions.builder(dense, "wanda", tmp.resolve("y")).sparsity(0.5).nm("2:4").build());
        var missing = assertThrows(Prune4jException.BadInput.class, () -> Model.load(tmp.resolve("nowhere")));
        assertTrue(missing.getMessage().contains("nowhere"), missing.getMessage());
        assertFalse(Files.exists(tmp.resolve("x")), "a refused run writes nothing");
    }

    @Test
    void progressReachesTheListenerAndSaveLoadsBackTheSameModel() throws Exception {
        Path dense = dense();
        List<String> lines = new java.util.ArrayList<>();
        Prune.unstructured(options(dense, "magnitude", "m"), ScalarKernels.INSTANCE, new ProgressListener() {
            @Override public void message(String line) { lines.add(line); }
        });
        assertFalse(lines.isEmpty());
        assertTrue(lines.getFirst().startsWith("prune4j prune: magnitude"), lines.toString());
        // the header's metadata in a fixed order, so the same inputs give the same bytes in every JVM (Map.of's order is per JVM)
        byte[] head = Files.readAllBytes(tmp.resolve("m/model.safetensors"));
        String header = new String(head, 8, 120, java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"pruned_by\":\"prune4j\",\"method\":\"magnitude\",\"target\":"), header);
        Model m = Model.load(tmp.resolve("m"), ScalarKernels.INSTANCE);
        m.save(tmp.resolve("saved"), false);
        Model back = Model.load(tmp.resolve("saved"), ScalarKernels.INSTANCE);
        int[][] w = Generators.windows(new SplittableRandom(2), 1, 5, m.model().config().vocabSize());
        assertArrayEquals(m.model().logits(w).toFloatArray(), back.model().logits(w).toFloatArray(), 0f);
    }

    @Test
    void structuredPruningWritesAPlanThatAppliesAgainAndVerifies() throws Exception {
        Path dense = dense();
        ModelConfig cfg = ModelConfig.read(dense);
        List<String> targets = List.of("intermediate_size=" + Math.max(1, cfg.intermediateSize(0) / 2));
        Path plan = tmp.resolve("plan.json");
        StructuredPruneOptions o = StructuredPruneOptions.builder(dense).method("magnitude").targets(targets).planOut(plan).out(tmp.resolve("s1")).build();
        var first = PruneStructured.run(o, ScalarKernels.INSTANCE, ProgressListener.NONE);
        var again = PruneStructured.run(StructuredPruneOptions.builder(dense).plan(plan).out(tmp.resolve("s2")).build(), ScalarKernels.INSTANCE, ProgressListener.NONE);
        assertEquals(first.plan(), again.plan());
        // the flags' rules, typed, before anything is read or written
        var taylorOnly = assertThrows(Prune4jException.InvalidOptions.class, () -> PruneStructured.run(
                StructuredPruneOptions.builder(dense).method("magnitude").targets(targets).taylor("first").out(tmp.resolve("s3")).build(), ScalarKernels.INSTANCE, ProgressListener.NONE));
        assertTrue(taylorOnly.getMessage().contains("options of --method taylor"), taylorOnly.getMessage());
        assertThrows(Prune4jException.InvalidOptions.class, () -> PruneStructured.run(
                StructuredPruneOptions.builder(dense).method("magnitude").targets(targets).hfPad(true).out(tmp.resolve("s3")).build(), ScalarKernels.INSTANCE, ProgressListener.NONE));
        assertFalse(Files.exists(tmp.resolve("s3")));
        assertTrue(first.output().paramsAfter() < first.output().paramsBefore());
        VerifyReport v = Verify.run(dense, tmp.resolve("s2"), new CheckpointVerifier.Options(plan, null, null, null, 5));
        assertTrue(v.passed(), v.text());
    }

    @Test
    void evaluateMatchesThePublishedStories260KNumber() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get();
        Model m = Model.load(shared.resolve("models/stories260K"));
        Evaluate.Result r = Evaluate.run(m, new EvalOptions(shared.resolve("data/text/tinystories-sample.txt"), "<|endoftext|>", 512, 0, 4), ProgressListener.NONE);
        assertEquals(1.30977, r.nll(), 5e-6, "README: 1.30977 nats/token (published 1.310)");
        Generate.Result g = Generate.run(m, new GenerateOptions("Once upon a time", 20, 0f, 0.9f, 42, false), ProgressListener.NONE);
        assertTrue(g.text().startsWith("Once upon a time"), g.text());
    }
    @Test
    void exportWritesAFolderInAnotherDtypeHoldingTheSameWeightsRounded() throws Exception {
        Path dense = dense();
        Export.Result r = Export.run(new ExportOptions(dense, "safetensors", tmp.resolve("bf16"), "bf16"), ProgressListener.NONE);
        assertTrue(r.bytes() > 0);
        try (var a = org.prune4j.io.safetensors.SafeTensors.open(dense); var b = org.prune4j.io.safetensors.SafeTensors.open(tmp.resolve("bf16"))) {
            assertEquals(a.names(), b.names());
            for (var i : a.infos()) {
                assertEquals(org.prune4j.tensor.DType.BF16, b.info(i.name()).dtype(), i.name());
                float[] want = a.get(i.name()).to(org.prune4j.tensor.DType.BF16, java.lang.foreign.Arena.ofAuto()).toFloatArray();
                assertArrayEquals(want, b.get(i.name()).toFloatArray(), 0f, i.name());
            }
        }
        assertEquals(Files.readString(dense.resolve(ModelConfig.FILE)), Files.readString(tmp.resolve("bf16").resolve(ModelConfig.FILE)));
        var again = assertThrows(Prune4jException.BadInput.class, () -> Export.run(new ExportOptions(dense, "safetensors", tmp.resolve("bf16"), "f16"), ProgressListener.NONE));
        assertTrue(again.getMessage().contains("already exists"), again.getMessage());
        var dtype = assertThrows(Prune4jException.InvalidOptions.class, () -> new ExportOptions(dense, "gguf", tmp.resolve("x.gguf"), "bf16"));
        assertTrue(dtype.getMessage().contains("--dtype bf16"), dtype.getMessage());
    }

    @Test
    void distillKeepsASparseStudentsZerosAndReportsEveryStep() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get(), teacher = shared.resolve("models/stories260K"), text = shared.resolve("data/text/tinystories-valid-201.txt");
        Kernels k = ScalarKernels.INSTANCE;
        Prune.unstructured(PruneOptions.builder(teacher, "magnitude", tmp.resolve("student")).sparsity(0.5).build(), k, ProgressListener.NONE);
        var bad = assertThrows(Prune4jException.InvalidOptions.class, () -> Distill.run(
                DistillOptions.builder(tmp.resolve("student"), text, tmp.resolve("d")).teacher(teacher).loss("l2").build(), k, ProgressListener.NONE));
        assertTrue(bad.getMessage().contains("--loss must be kl, reverse-kl or ce"), bad.getMessage());
        List<Long> steps = new java.util.ArrayList<>();
        Distill.Result r = Distill.run(DistillOptions.builder(tmp.resolve("student"), text, tmp.resolve("d")).teacher(teacher).steps(3).batch(2).seqLen(32)
                .lr(1e-3).build(), k, new ProgressListener() {
            @Override public void progress(String stage, long done, long total) { if (stage.equals("distill")) steps.add(done); }
        });
        assertEquals(List.of(1L, 2L, 3L), steps);
        assertEquals(3, r.steps());
        assertTrue(Double.isFinite(r.firstLoss()) && Double.isFinite(r.finalLoss()));
        try (var s = org.prune4j.io.safetensors.SafeTensors.open(tmp.resolve("student")); var d = org.prune4j.io.safetensors.SafeTensors.open(tmp.resolve("d"))) {
            long changed = 0;
            for (var i : s.infos()) {
                float[] a = s.get(i.name()).toFloatArray(), b = d.get(i.name()).toFloatArray();
                for (int j = 0; j < a.length; j++) {
                    if (a[j] == 0f && i.name().contains(".layers.")) assertEquals(0f, b[j], i.name() + "[" + j + "]: a pruned weight came back");
                    if (a[j] != b[j]) changed++;
                }
            }
            assertTrue(changed > 0, "three steps at lr 1e-3 changed no weight");
        }
    }
}

