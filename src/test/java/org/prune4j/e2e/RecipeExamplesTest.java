package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.json.Json;

/**
 * The shipped recipes on stories260K: Minitron width + KD, MHA->GQA by mean-pooling + uptraining, depth + LoRA. Each
 * runs to the end, leaves every stage's output and record, and its evaluations are finite and go the way the
 * pipeline says (pruning costs perplexity, the recovery stage wins some back). The Minitron recipe is also killed
 * with SIGKILL in a child JVM during its distill stage and rerun: the rerun skips the finished stages, says so,
 * continues distill from its checkpoint and ends with the same model bytes as a run never interrupted.
 */
class RecipeExamplesTest {
    static Path repo;
    @TempDir static Path tmp;
    private static Path uninterrupted;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        repo = Path.of(System.getProperty("prune4j.repo", "../.."));
    }

    /** Runs a recipe in this JVM into a fresh folder; returns the --json stages. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> run(String recipe, Path out) throws Exception {
        Cli c = Cli.run("run", repo.resolve("recipes/" + recipe).toString(), "--out", out.toString(), "--json");
        assertEquals(0, c.code(), c.err());
        return (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(c.lastLine())).get("stages");
    }

    @SuppressWarnings("unchecked")
    static double ppl(List<Map<String, Object>> stages, int i) {
        double p = ((Number) ((Map<String, Object>) stages.get(i).get("result")).get("ppl")).doubleValue();
        assertTrue(Double.isFinite(p) && p > 1, "stage " + (i + 1) + " perplexity " + p);
        return p;
    }

    /** The Minitron recipe, run once without interruption (shared by two tests). */
    static synchronized Path minitronRun() throws Exception {
        if (uninterrupted == null) {
            Path out = tmp.resolve("minitron");
            List<Map<String, Object>> s = run("minitron-width-kd.yaml", out);
            double dense = ppl(s, 0), pruned = ppl(s, 2), distilled = ppl(s, 4);
            assertTrue(pruned > dense, "pruning heads and neurons costs perplexity: dense " + dense + ", pruned " + pruned);
            assertTrue(distilled < pruned, "KD from the dense teacher lowers the pruned model's perplexity: " + pruned + " -> " + distilled);
            uninterrupted = out;
        }
        return uninterrupted;
    }

    @Test
    @SuppressWarnings("unchecked")
    void minitronWidthKd() throws Exception {
        Path out = minitronRun();
        for (String f : List.of("01-eval.json", "02-prune/config.json", "02-prune.json", "03-eval.json", "04-distill/model.safetensors",
                "04-distill.json", "04-distill.ckpt/state.json", "04-distill.log.jsonl", "05-eval.json"))
            assertTrue(Files.exists(out.resolve(f)), f);
        String config = Files.readString(out.resolve("02-prune/config.json"));
        assertTrue(config.contains("\"num_attention_heads\": 4") && config.contains("\"intermediate_size\": 128"), config);
        Map<String, Object> distill = (Map<String, Object>) ((Map<String, Object>) Json.parse(Files.readString(out.resolve("04-distill.json")))).get("result");
        assertEquals(40L, ((Number) distill.get("steps")).longValue());
        assertTrue(((Number) distill.get("eval_ppl")).doubleValue() < ((Number) distill.get("eval_ppl_before")).doubleValue(), distill.toString());
        List<String> log = Files.readAllLines(out.resolve("04-distill.log.jsonl"));
        assertEquals(40, log.size(), "one log line per step");
    }

    @Test
    void mhaToGqaUptrain() throws Exception {
        Path out = tmp.resolve("gqa");
        List<Map<String, Object>> s = run("mha-to-gqa-uptrain.yaml", out);
        double dense = ppl(s, 0), pooled = ppl(s, 2), uptrained = ppl(s, 4);
        assertTrue(Files.readString(out.resolve("02-prune/config.json")).contains("\"num_key_value_heads\": 2"));
        assertTrue(pooled > dense, "mean-pooling 4 KV heads to 2 costs perplexity: " + dense + " -> " + pooled);
        assertTrue(uptrained < pooled, "uptraining wins some back: " + pooled + " -> " + uptrained);
    }

    @Test
    void depthLora() throws Exception {
        Path out = tmp.resolve("depth");
        List<Map<String, Object>> s = run("depth-lora.yaml", out);
        double dense = ppl(s, 0), dropped = ppl(s, 2), recovered = ppl(s, 4);
        assertTrue(Files.readString(out.resolve("02-prune/config.json")).contains("\"num_hidden_layers\": 4"));
        assertTrue(dropped > dense, "dropping a layer costs perplexity: " + dense + " -> " + dropped);
        assertTrue(recovered < dropped, "LoRA distillation, merged, wins some back: " + dropped + " -> " + recovered);
        // merged: a plain model folder of the pruned shape, the same tensors and shapes, no adapter tensors, other values
        try (SafeTensors pruned = SafeTensors.open(out.resolve("02-prune/model.safetensors"));
             SafeTensors merged = SafeTensors.open(out.resolve("04-distill/model.safetensors"))) {
            assertEquals(pruned.names(), merged.names(), "the same tensors, none of them an adapter");
            boolean changed = false;
            for (String n : pruned.names()) {
                assertArrayEquals(pruned.info(n).shape(), merged.info(n).shape(), n);
                changed |= !java.util.Arrays.equals(pruned.get(n).toFloatArray(), merged.get(n).toFloatArray());
            }
            assertTrue(changed, "the merged adapters changed the weights");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void killedDuringDistillResumesAndEndsWithTheSameBytes() throws Exception {
        Path straight = minitronRun();
        Path out = tmp.resolve("killed");
        Path recipe = repo.resolve("recipes/minitron-width-kd.yaml");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "org.prune4j.cli.Main", "run", recipe.toString(), "--out", out.toString()));
        Path err = tmp.resolve("killed.err");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile()).start();
        Path ckpt = out.resolve("04-distill.ckpt/state.json");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (!Files.exists(ckpt)) {
            assertTrue(p.isAlive(), "the run ended before distill wrote a checkpoint: " + Files.readString(err));
            assertTrue(System.nanoTime() < deadline, "no distill checkpoint after 10 minutes");
            Thread.sleep(20);
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(Files.exists(out.resolve("02-prune.json")), "the prune stage had finished");
        assertFalse(Files.exists(out.resolve("04-distill.json")), "killed during distill: " + Files.readString(err));
        assertFalse(Files.exists(out.resolve("04-distill")), "no half-written distill output");
        long stepAtKill = ((Number) ((Map<String, Object>) Json.parse(Files.readString(ckpt))).get("step")).longValue();
        assertTrue(stepAtKill >= 5 && stepAtKill < 40, "checkpoint step " + stepAtKill);

        Cli again = Cli.run("run", recipe.toString(), "--out", out.toString(), "--json");
        assertEquals(0, again.code(), again.err());
        for (String id : List.of("01-eval", "02-prune", "03-eval")) assertTrue(again.err().contains("run: stage " + id + " kept from an earlier run"), again.err());
        assertTrue(again.err().contains("run: stage 04-distill resumes from its checkpoint 04-distill.ckpt at step "), again.err());
        assertTrue(again.err().contains("distill: resumed "), again.err());
        List<Map<String, Object>> stages = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(again.lastLine())).get("stages");
        List<Object> kept = stages.stream().map(m -> m.get("kept")).toList();
        assertEquals(List.of(true, true, true, false, false), kept);

        assertEquals(-1, Files.mismatch(straight.resolve("04-distill/model.safetensors"), out.resolve("04-distill/model.safetensors")),
                "the resumed run's final model is byte-identical to the uninterrupted run's");
        assertEquals(((Map<String, Object>) Json.parse(Files.readString(straight.resolve("05-eval.json")))).get("result"),
                ((Map<String, Object>) Json.parse(Files.readString(out.resolve("05-eval.json")))).get("result"));
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("04-distill.log.jsonl")))
            steps.add(((Number) ((Map<String, Object>) Json.parse(line)).get("step")).longValue());
        List<Long> expected = new ArrayList<>();
        for (long i = 1; i <= 40; i++) expected.add(i);
        assertEquals(expected, steps, "the log holds every step once, the resumed ones after the kept ones");
    }
}
