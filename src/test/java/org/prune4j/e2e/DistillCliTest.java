package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.distill.LayerDrop;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.transformer.LlamaModel;

/** distill on stories260K minus a layer: it trains, logs, resumes, and refuses bad input with no output left behind. */
class DistillCliTest {
    @TempDir static Path tmp;
    static Path shared, teacher, student, data;

    @BeforeAll
    static void student() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        shared = SharedData.root().get();
        teacher = shared.resolve("models/stories260K");
        data = shared.resolve("data/text/tinystories-sample.txt");
        student = tmp.resolve("student");
        LlamaModel t = LlamaModel.load(teacher, ScalarKernels.INSTANCE);
        ModelConfig[] cfg = new ModelConfig[1];
        var tensors = LayerDrop.withoutLayer(t, 2, cfg);
        Files.createDirectories(student);
        cfg[0].write(student.resolve(ModelConfig.FILE));
        SafeTensorsWriter.write(student.resolve("model.safetensors"), tensors, Map.of());
        Files.copy(teacher.resolve("tokenizer.model"), student.resolve("tokenizer.model"));
    }

    /** The common arguments; an option in {@code extra} replaces the default one (picocli takes each option once). */
    static String[] args(Path out, String... extra) {
        java.util.LinkedHashMap<String, String> o = new java.util.LinkedHashMap<>();
        o.put("--teacher", teacher.toString());
        o.put("--student", student.toString());
        o.put("--data", data.toString());
        o.put("--doc-separator", "<|endoftext|>");
        o.put("--seq-len", "32");
        o.put("--batch", "2");
        o.put("--lr", "1e-3");
        o.put("--schedule", "constant");
        o.put("--threads", "2");
        o.put("--out", out.toString());
        for (int i = 0; i < extra.length; i += 2) o.put(extra[i], extra[i + 1]);
        List<String> a = new ArrayList<>(List.of("distill", "--json"));
        o.forEach((k, v) -> { a.add(k); a.add(v); });
        return a.toArray(String[]::new);
    }

    @Test
    void distillsLogsAndSavesALoadableModel() throws Exception {
        Path out = tmp.resolve("kd"), log = tmp.resolve("kd.jsonl");
        Cli r = Cli.run(args(out, "--steps", "4", "--log", log.toString(), "--eval", data.toString(), "--eval-windows", "2"));
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.lastLine(), false);
        assertEquals(4L, j.get("steps"));
        assertEquals(4L * 2 * 32, j.get("tokens"));
        assertTrue(((Number) j.get("final_loss")).doubleValue() < ((Number) j.get("first_loss")).doubleValue(), r.lastLine());
        assertTrue(j.containsKey("eval_ppl_before") && j.containsKey("eval_ppl"), r.lastLine());
        assertTrue(r.err().contains("distill: step 4/4"), r.err());
        assertTrue(r.err().contains("tokens/s, ETA"), r.err());
        List<String> lines = Files.readAllLines(log);
        assertEquals(4, lines.size());
        Map<String, Object> l1 = Json.parseObject(lines.get(0), false);
        for (String k : new String[] {"step", "loss", "lr", "grad_norm", "tokens", "kd", "ce"}) assertTrue(l1.containsKey(k), k + " in " + lines.get(0));
        assertEquals(4, LlamaModel.load(out, ScalarKernels.INSTANCE).numLayers());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.model")));
    }

    @Test
    void aFullTeacherCacheGivesTheOnlineLossAndIsReused() throws Exception {
        Cli online = Cli.run(args(tmp.resolve("online"), "--steps", "2"));
        Path cache = tmp.resolve("cache");
        Cli built = Cli.run(args(tmp.resolve("cached"), "--steps", "2", "--teacher-cache", cache.toString(), "--teacher-top-k", "512"));
        assertEquals(0, built.code(), built.err());
        assertTrue(built.err().contains("teacher cache: 4/4 windows"), built.err());
        Cli reused = Cli.run(args(tmp.resolve("cached2"), "--steps", "2", "--teacher-cache", cache.toString(), "--teacher-top-k", "512"));
        assertFalse(reused.err().contains("teacher cache:"), "the second run maps the cache instead of rebuilding it");
        double a = ((Number) Json.parseObject(online.lastLine(), false).get("first_loss")).doubleValue();
        for (Cli c : new Cli[] {built, reused}) {
            double b = ((Number) Json.parseObject(c.lastLine(), false).get("first_loss")).doubleValue();
            assertEquals(a, b, 1e-5 * a, "k = vocab: the cached loss is the full loss (F32 summation order only)");
        }
    }

    @Test
    void resumesOnlyItsOwnRun() throws Exception {
        Path ck = tmp.resolve("ck");
        assertEquals(0, Cli.run(args(tmp.resolve("a"), "--steps", "2", "--checkpoint-dir", ck.toString())).code());
        Cli straight = Cli.run(args(tmp.resolve("straight"), "--steps", "3"));
        Cli resumed = Cli.run(args(tmp.resolve("resumed"), "--steps", "3", "--resume", ck.toString()));
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(-1, Files.mismatch(tmp.resolve("straight/model.safetensors"), tmp.resolve("resumed/model.safetensors")), "2 + 1 steps == 3 steps, byte for byte");

        Cli other = Cli.run(args(tmp.resolve("other"), "--steps", "3", "--lr", "2e-3", "--resume", ck.toString()));
        assertEquals(1, other.code());
        assertTrue(other.err().contains("another run"), other.err());
        assertFalse(Files.exists(tmp.resolve("other")), "no output folder");
        assertEquals(0, straight.code());
    }

    @Test
    void badInputGetsAClearErrorAndNoOutput() throws Exception {
        Path out = tmp.resolve("bad");
        Cli vocab = Cli.run(args(out, "--steps", "1", "--teacher", shared.resolve("models/tiny-gqa").toString()));
        assertEquals(1, vocab.code());
        assertTrue(vocab.err().contains("vocabulary"), vocab.err());

        Path otherTok = tmp.resolve("other-tokenizer");
        Files.createDirectories(otherTok);
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(teacher.resolve(f), otherTok.resolve(f));
        byte[] tok = Files.readAllBytes(teacher.resolve("tokenizer.model"));
        tok[tok.length - 1] ^= 1;
        Files.write(otherTok.resolve("tokenizer.model"), tok);
        Cli tokenizer = Cli.run(args(out, "--steps", "1", "--teacher", otherTok.toString()));
        assertEquals(1, tokenizer.code());
        assertTrue(tokenizer.err().contains("different tokenizers"), tokenizer.err());

        Cli map = Cli.run(args(out, "--steps", "1", "--hidden-loss", "cosine", "--layer-map", "0,1,3,5"));
        assertEquals(2, map.code());
        assertTrue(map.err().contains("teacher layer 5, outside [0, 5)"), map.err());

        Path ck = tmp.resolve("nan-ck");
        Cli nan = Cli.run(args(out, "--steps", "6", "--lr", "1e30", "--clip", "0", "--checkpoint-dir", ck.toString(), "--checkpoint-every", "1"));
        assertEquals(1, nan.code(), nan.err());
        assertTrue(nan.err().matches("(?s).*loss is (NaN|Infinity|-Infinity) at step \\d.*last good checkpoint.*"), nan.err());
        int bad = Integer.parseInt(nan.err().replaceAll("(?s).*at step (\\d+).*", "$1"));
        Map<String, Object> st = Json.parseObject(Files.readString(ck.resolve("state.json")), false);
        assertEquals((long) bad - 1, st.get("step"));
        assertFalse(Files.exists(out), "no output folder after any of these");
    }
}
