package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** {@code demo}: the built-in run end to end (small sizes), and the same table on a real checkpoint. */
class DemoCliTest {
    @TempDir Path tmp;

    static List<Map<?, ?>> rows(Cli r) throws Exception {
        assertEquals(0, r.code(), r.err());
        List<?> rows = (List<?>) Json.parseObject(r.lastLine(), false).get("rows");
        assertEquals(7, rows.size(), "dense + 3 methods x 2 targets");
        List<Map<?, ?>> out = new java.util.ArrayList<>();
        for (Object o : rows) out.add((Map<?, ?>) o);
        assertEquals("dense", out.getFirst().get("method"));
        for (Map<?, ?> m : out.subList(1, 7)) {
            assertEquals(0.5, ((Number) m.get("sparsity")).doubleValue(), 1e-9, m.toString());
            assertTrue(Double.isFinite(((Number) m.get("ppl")).doubleValue()), m.toString());
        }
        return out;
    }

    @Test
    void builtInDemoTrainsPrunesAndSavesWithNoFiles() throws Exception {
        Path keep = tmp.resolve("kept");
        Cli r = Cli.run("demo", "--steps", "4", "--hidden", "32", "--layers", "1", "--calib-samples", "2", "--eval-windows", "2",
                "--seq-len", "32", "--keep", keep.toString(), "--threads", "2", "--json");
        rows(r);
        Map<String, Object> model = Json.parseObject(r.lastLine(), false);
        assertTrue(((Number) ((Map<?, ?>) model.get("model")).get("parameters")).longValue() > 10_000);
        for (String f : new String[] {"model/config.json", "model/model.safetensors", "model/tokenizer.json", "train.txt", "eval.txt", "calib.txt"})
            assertTrue(Files.isRegularFile(keep.resolve(f)), f);
        // the saved model is a normal checkpoint: eval reads it
        Cli e = Cli.run("eval", "--model", keep.resolve("model").toString(), "--text", keep.resolve("eval.txt").toString(),
                "--doc-separator", "<|endoftext|>", "--seq-len", "32", "--windows", "2", "--json");
        assertEquals(0, e.code(), e.err());
        Cli human = Cli.run("demo", "--steps", "2", "--hidden", "32", "--layers", "1", "--calib-samples", "2", "--eval-windows", "2", "--seq-len", "32");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains("method") && human.out().contains("sparsegpt") && human.out().contains("2:4"), human.out());
    }

    @Test
    void realCheckpointGivesTheSameTable() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path s = SharedData.root().get();
        List<Map<?, ?>> rows = rows(Cli.run("demo", "--model", s.resolve("models/stories260K").toString(),
                "--calib", s.resolve("data/text/wikitext2-valid.txt").toString(), "--eval", s.resolve("data/text/wikitext2-test.txt").toString(),
                "--calib-samples", "8", "--seq-len", "64", "--eval-windows", "8", "--json"));
        double dense = ((Number) rows.getFirst().get("ppl")).doubleValue();
        for (Map<?, ?> m : rows.subList(1, 7)) assertTrue(((Number) m.get("ppl")).doubleValue() > dense, "pruning costs something: " + m);
    }

    @Test
    void incompleteRealCheckpointOptionsAreAUsageError() {
        Cli r = Cli.run("demo", "--model", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--calib and --eval"), r.err());
    }
}
