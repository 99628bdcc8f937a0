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

/**
 * {@code run recipes/wanda-2of4-eval.yaml}: eval, prune, eval, export on stories260K; every stage leaves its output and
 * record; a run interrupted before its last stage resumes there and ends with the same bytes; a recipe naming a stage
 * this build lacks, an option the runner owns, an unknown key or a bad value is refused with the file, stage and key named.
 */
class RecipeCliTest {
    @TempDir Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void theShippedRecipeRunsAndResumes() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path recipe = Path.of(System.getProperty("prune4j.repo", "../..")).resolve("recipes/wanda-2of4-eval.yaml");
        Path out = tmp.resolve("run");
        Cli first = Cli.run("run", recipe.toString(), "--out", out.toString(), "--json");
        assertEquals(0, first.code(), first.err());
        for (String f : List.of("01-eval.json", "02-prune.json", "02-prune/model.safetensors", "03-eval.json", "04-export.json", "04-export.gguf"))
            assertTrue(Files.exists(out.resolve(f)), f);
        List<Map<String, Object>> stages = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(first.lastLine())).get("stages");
        double dense = ((Number) ((Map<String, Object>) stages.get(0).get("result")).get("ppl")).doubleValue();
        double pruned = ((Number) ((Map<String, Object>) stages.get(2).get("result")).get("ppl")).doubleValue();
        assertEquals(0.5, ((Number) ((Map<String, Object>) stages.get(1).get("result")).get("sparsity")).doubleValue(), 1e-9);
        assertTrue(pruned > dense, "2:4 costs perplexity: dense " + dense + ", pruned " + pruned);
        byte[] gguf = Files.readAllBytes(out.resolve("04-export.gguf"));

        // killed during the export: its record never got written
        Files.delete(out.resolve("04-export.json"));
        Cli second = Cli.run("run", recipe.toString(), "--out", out.toString(), "--json");
        assertEquals(0, second.code(), second.err());
        List<Map<String, Object>> again = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(second.lastLine())).get("stages");
        for (int i = 0; i < 3; i++) assertEquals(true, again.get(i).get("kept"), "stage " + (i + 1) + " kept");
        assertEquals(false, again.get(3).get("kept"));
        assertArrayEquals(gguf, Files.readAllBytes(out.resolve("04-export.gguf")), "the resumed run wrote the same GGUF bytes");
        assertEquals(stages.get(2).get("result"), again.get(2).get("result"));
    }

    /**
     * Relative output paths of a stage's own options land in its folder {@code DIR/NN-kind.files/}, absolute ones where
     * they say, {@code $OUT/} ones inside DIR; a later stage reads an earlier one's file through {@code $OUT/}; export names a GGUF file
     * {@code NN-export.gguf} and a safetensors folder {@code NN-export/}; a rerun after a kill that left those files
     * (but no record) redoes the stages without tripping over them.
     */
    @Test
    @SuppressWarnings("unchecked")
    void stageOutputsStayInsideOut() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get(), out = tmp.resolve("run"), absReport = tmp.resolve("abs-report"), recipe = tmp.resolve("self-contained.yaml");
        String text = shared.resolve("data/text/tinystories-valid-201.txt").toString();
        Files.writeString(recipe, String.join("\n",
                "model: " + shared.resolve("models/stories260K"),
                "stages:",
                "  - prune: {method: minitron, target: {num_hidden_layers: 4}, calib: " + text + ", doc-separator: '<|endoftext|>', calib-samples: 2, seq-len: 32,",
                "            plan-out: plans/plan.json}",
                "  - distill: {data: " + text + ", doc-separator: '<|endoftext|>', steps: 2, batch: 1, seq-len: 32, lora-rank: 2, lora-save: adapters,",
                "              hidden-loss: cosine, plan: $OUT/01-prune.files/plans/plan.json, report: " + absReport + "}",
                "  - export: {format: safetensors, dtype: bf16}",
                "  - export: {format: gguf}",
                "  - prune: {method: magnitude, sparsity: 0.5, report: $OUT/reports/magnitude}",
                ""));
        Cli first = Cli.run("run", recipe.toString(), "--out", out.toString(), "--json");
        assertEquals(0, first.code(), first.err());
        for (String f : List.of("01-prune/model.safetensors", "01-prune.files/plans/plan.json",
                "02-distill/model.safetensors", "02-distill.files/adapters/adapter_config.json", "03-export/config.json", "03-export/model.safetensors",
                "04-export.gguf", "05-prune/model.safetensors", "reports/magnitude/report.html"))
            assertTrue(Files.exists(out.resolve(f)), f);
        assertFalse(Files.exists(out.resolve("03-export.gguf")), "a safetensors export is not named .gguf");
        assertTrue(Files.isRegularFile(absReport.resolve("report.html")), "an absolute path stays as given");
        assertFalse(Files.exists(out.resolve("02-distill.files/" + absReport.getFileName())), "the absolute report is not placed inside --out");
        assertFalse(Files.exists(out.resolve("03-export.files")), "no stage folder when nothing is placed in it");
        Map<String, Object> distill = (Map<String, Object>) Json.parse(Files.readString(out.resolve("02-distill.json")));
        List<String> args = (List<String>) distill.get("args");
        String plan = out.resolve("01-prune.files/plans/plan.json").toAbsolutePath().normalize().toString();
        assertEquals(plan, args.get(args.indexOf("--plan") + 1), "$OUT/ names the file inside --out");
        for (String rel : List.of("plans", "report", "adapters")) assertFalse(Files.exists(Path.of(rel)), rel + " written in the working folder");

        // killed after distill wrote its adapters and model, and after the export wrote its folder, before their records
        Files.delete(out.resolve("02-distill.json"));
        org.prune4j.io.AtomicFiles.deleteTree(out.resolve("02-distill"));
        Files.delete(out.resolve("03-export.json"));
        Cli second = Cli.run("run", recipe.toString(), "--out", out.toString(), "--json");
        assertEquals(0, second.code(), second.err());
        List<Map<String, Object>> stages = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(second.lastLine())).get("stages");
        assertEquals(List.of(true, false, false, true, true), stages.stream().map(m -> m.get("kept")).toList());
        assertTrue(Files.isRegularFile(out.resolve("03-export/model.safetensors")));

        // a relative output path may not leave the stage's folder; an export format is checked before anything runs
        Path r = tmp.resolve("r.yaml");
        assertRefused(r, "model: m\nstages:\n  - prune: {method: minitron, target: {num_hidden_layers: 4}, plan-out: ../../plan.json}\n",
                "stage 1 (prune): key 'plan-out': '../../plan.json' leaves the stage's folder 01-prune.files");
        assertRefused(r, "model: m\nstages:\n  - export: {format: onnx}\n", "stage 1 (export): key 'format': 'onnx' is not gguf or safetensors");
    }

    @Test
    void badRecipesNameTheFileAndStage() throws Exception {
        Path r = tmp.resolve("r.yaml");
        assertRefused(r, "model: m\nstages:\n  - prune: {method: wanda}\n  - compress: {params: 0.5}\n", "r.yaml: stage 2: 'compress' is not a stage on this build");
        assertRefused(r, "model: m\nstages:\n  - prune: {method: wanda, out: x}\n", "stage 1 (prune): 'out' is set by the runner");
        assertRefused(r, "model: m\nstages:\n  - prune: {method: wanda, nm: '2:4'}\n  - distill: {data: d, student: s}\n", "stage 2 (distill): 'student' is set by the runner");
        // checked before any stage runs: an unknown key, a value of the wrong type, a flag given a value, a missing teacher
        assertRefused(r, "model: m\nstages:\n  - eval: {text: t, seq-len: 8}\n  - prune: {methd: wanda}\n", "r.yaml: stage 2 (prune): unknown key 'methd'");
        assertRefused(r, "model: m\nstages:\n  - prune: {method: wanda, nm: '2:4'}\n  - distill: {data: d, steps: many}\n", "r.yaml: stage 2 (distill): key 'steps': ");
        assertRefused(r, "model: m\nstages:\n  - prune: {method: magnitude, sparsity: 0.5, per-row: often}\n", "stage 1 (prune): key 'per-row' is a switch");
        assertRefused(r, "model: m\nstages:\n  - distill: {data: d}\n", "stage 1 (distill): key 'teacher' is missing and no prune stage comes before");
        assertRefused(r, "model: m\nstages:\n  - prune: {target: {num_attention_heads: [1, 2]}}\n", "stage 1 (prune): key 'target' nests too deep");
        // checked by the command itself when the stage runs: its message carries the file and stage too
        assertRefused(r, "model: m\nstages:\n  - distill: {teacher: m, data: d, loss: hinge}\n", "r.yaml: stage 1 (distill): --loss must be kl, reverse-kl or ce");
        assertFalse(Files.exists(tmp.resolve("o/01-distill.json")), "a failed stage leaves no record");
        // hard labels only need no teacher: past the plan, the stage runs and fails on the missing student folder, named with its stage
        assertRefused(r, "model: m\nstages:\n  - distill: {data: d, loss: ce, hidden-loss: none}\n", "r.yaml: stage 1 (distill): ");
        Cli c = Cli.run("run", r.toString(), "--out", tmp.resolve("o").toString());
        assertFalse(c.err().contains("'teacher' is missing"), c.err());
    }

    private void assertRefused(Path recipe, String yaml, String message) throws Exception {
        Files.writeString(recipe, yaml);
        Cli c = Cli.run("run", recipe.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, c.code(), c.err());
        assertTrue(c.err().contains(message), "expected '" + message + "' in: " + c.err());
    }
}
