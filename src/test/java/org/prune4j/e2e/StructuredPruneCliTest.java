package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;

/** {@code prune --target} through the command line on stories260K: the written model, its report, plans, bad input. */
class StructuredPruneCliTest {
    @TempDir Path tmp;
    Path stories, valid;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        stories = SharedData.root().get().resolve("models/stories260K");
        valid = SharedData.root().get().resolve("data/text/wikitext2-valid.txt");
    }

    Cli prune(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("prune", "--model", stories.toString(), "--calib", valid.toString(), "--calib-samples", "8",
                "--seq-len", "64", "--calib-sampling", "first", "--threads", "2", "--json"));
        if (out != null) a.addAll(List.of("--out", out.toString()));
        a.addAll(List.of(extra));
        return Cli.run(a.toArray(String[]::new));
    }

    @Test
    void writesASmallerPlainHfModelThatInfoDescribesAndAPlanThatReappliesToTheSameBytes() throws Exception {
        Path out = tmp.resolve("pruned"), plan = tmp.resolve("plan.json"), again = tmp.resolve("again");
        Cli c = prune(out, "--method", "minitron", "--target", "num_attention_heads=4", "--target", "intermediate_size=128", "--plan-out", plan.toString());
        assertEquals(0, c.code(), c.err());
        Map<String, Object> r = Json.parseObject(c.lastLine(), false);
        assertTrue((Long) r.get("params_after") < (Long) r.get("params_before"));
        assertEquals(5, ((List<?>) r.get("layers")).size());
        assertTrue(r.containsKey("peak_rss_bytes") && r.containsKey("seconds"));
        ModelConfig cfg = ModelConfig.read(out);
        assertEquals(4, cfg.numHeads(0));
        assertEquals(4, cfg.numKvHeads(0));
        assertEquals(128, cfg.intermediateSize(0));
        assertEquals(8, cfg.headDim());
        assertFalse(cfg.toJson().containsKey(ModelConfig.PER_LAYER_KEY), "uniform pruning writes a plain HF config");
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.model")));
        Cli info = Cli.run("info", "--model", out.toString());
        assertTrue(info.out().contains("every layer: 4 heads, 4 kv heads, intermediate 128"), info.out());

        Cli applied = Cli.run("prune", "--model", stories.toString(), "--plan", plan.toString(), "--out", again.toString());
        assertEquals(0, applied.code(), applied.err());
        assertArrayEquals(Files.readAllBytes(out.resolve("model.safetensors")), Files.readAllBytes(again.resolve("model.safetensors")));
    }

    @Test
    void meanPoolingNeedsNoMethodAndBadTargetsAreRefusedWithNoOutput() {
        Path out = tmp.resolve("mqa");
        Cli c = prune(out, "--target", "num_key_value_heads=1");
        assertEquals(0, c.code(), c.err());
        Path bad = tmp.resolve("bad");
        Cli unknown = prune(bad, "--method", "minitron", "--target", "num_heads=4");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("unknown key 'num_heads'"), unknown.err());
        Cli larger = prune(bad, "--method", "minitron", "--target", "num_attention_heads=16");
        assertEquals(1, larger.code());
        assertTrue(larger.err().contains("num_attention_heads=16 is larger"), larger.err());
        Cli notMultiple = prune(bad, "--method", "minitron", "--target", "num_attention_heads=6");
        assertEquals(1, notMultiple.code());
        assertTrue(notMultiple.err().contains("not a multiple of num_key_value_heads = 4"), notMultiple.err());
        Cli g = prune(bad, "--target", "num_key_value_heads=3");
        assertEquals(1, g.code());
        assertTrue(g.err().contains("num_key_value_heads=3 does not divide"), g.err());
        Cli report = prune(bad, "--target", "num_key_value_heads=1", "--report", tmp.resolve("report").toString());
        assertEquals(2, report.code(), "--report is not silently ignored: " + report.err());
        assertTrue(report.err().contains("a structured run has no report page"), report.err());
        assertFalse(Files.exists(bad));
    }
}
