package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.SourceLayers;
import org.prune4j.tensor.Tensor;

/**
 * distill --hidden-loss on a student made by prune --target num_hidden_layers=4: without --layer-map each student
 * layer is compared with the teacher layer it was cut from (the writer's metadata, or --plan), which is the run an
 * explicit --layer-map of those indices gives; a plan or metadata from another model is refused.
 */
class DistillLayerMapCliTest {
    @TempDir static Path tmp;
    static Path teacher, data, student, planFile;
    static int[] kept;

    @BeforeAll
    static void student() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get();
        teacher = shared.resolve("models/stories260K");
        data = shared.resolve("data/text/tinystories-sample.txt");
        student = tmp.resolve("student");
        planFile = tmp.resolve("plan.json");
        // random, seed 1, drops layer 0: a map that is not the identity's prefix, so a wrong default shows
        Cli p = Cli.run("prune", "--model", teacher.toString(), "--method", "random", "--seed", "1", "--target", "num_hidden_layers=4",
                "--plan-out", planFile.toString(), "--out", student.toString(), "--json");
        assertEquals(0, p.code(), p.err());
        kept = SourceLayers.of(PlanJson.read(planFile));
        assertEquals(4, kept.length);
        assertFalse(Arrays.equals(kept, new int[] {0, 1, 2, 3}), "the test needs a plan that drops a layer before the last: " + Arrays.toString(kept));
    }

    static Cli distill(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("distill", "--json", "--teacher", teacher.toString(), "--student", student.toString(),
                "--data", data.toString(), "--doc-separator", "<|endoftext|>", "--seq-len", "32", "--batch", "2", "--steps", "2",
                "--lr", "1e-3", "--schedule", "constant", "--threads", "2", "--hidden-loss", "cosine", "--out", out.toString()));
        a.addAll(List.of(extra));
        return Cli.run(a.toArray(String[]::new));
    }

    static Map<String, Object> json(Cli r) throws Exception {
        assertEquals(0, r.code(), r.err());
        return Json.parseObject(r.lastLine(), false);
    }

    static List<Long> list(int[] a) {
        return Arrays.stream(a).mapToObj(i -> (long) i).toList();
    }

    @Test
    void theDefaultMapIsTheKeptLayersAndTrainsAsTheExplicitMapDoes() throws Exception {
        Map<String, Object> byDefault = json(distill(tmp.resolve("default")));
        assertEquals(list(kept), byDefault.get("layer_map"));
        Cli r = distill(tmp.resolve("plan-given"), "--plan", planFile.toString());
        assertTrue(r.err().contains("layer map from plan"), r.err());
        Map<String, Object> byPlan = json(r);
        String explicit = SourceLayers.format(kept);
        Map<String, Object> byHand = json(distill(tmp.resolve("explicit"), "--layer-map", explicit));
        Map<String, Object> identity = json(distill(tmp.resolve("identity"), "--layer-map", "0,1,2,3"));
        for (Map<String, Object> j : List.of(byDefault, byPlan)) {
            assertEquals(byHand.get("first_loss"), j.get("first_loss"));
            assertEquals(byHand.get("final_loss"), j.get("final_loss"));
        }
        assertNotEquals(identity.get("first_loss"), byDefault.get("first_loss"), "the hidden loss must depend on which teacher layers are compared");
        // the distilled student still says where its layers came from, so it can be distilled again
        try (SafeTensors st = SafeTensors.open(tmp.resolve("default"))) {
            assertEquals(explicit, st.metadata().get(SourceLayers.KEY));
        }
    }

    @Test
    void aPlanOrMetadataFromAnotherModelIsRefusedWithNoOutput() throws Exception {
        // a teacher with the same shapes and one weight changed: another model, whose fingerprint differs
        Path other = Files.createDirectories(tmp.resolve("other-teacher"));
        for (Path f : Files.list(teacher).toList())
            if (Files.isRegularFile(f) && !f.getFileName().toString().endsWith(".safetensors")) Files.copy(f, other.resolve(f.getFileName()));
        Map<String, Tensor> t = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(teacher)) {
            for (var i : st.infos()) t.put(i.name(), st.get(i.name()).toF32());
        }
        Tensor w = t.get("model.layers.0.mlp.down_proj.weight").copy();
        w.set(w.get(0, 0) + 1f, 0, 0);
        t.put("model.layers.0.mlp.down_proj.weight", w);
        SafeTensorsWriter.write(other.resolve("model.safetensors"), t, Map.of());

        Path out = tmp.resolve("refused");
        Cli r = Cli.run("distill", "--teacher", other.toString(), "--student", student.toString(), "--data", data.toString(), "--steps", "1",
                "--seq-len", "32", "--batch", "2", "--hidden-loss", "cosine", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("pruned from another model") && r.err().contains(SourceLayers.KEY), r.err());
        r = Cli.run("distill", "--teacher", other.toString(), "--student", student.toString(), "--data", data.toString(), "--steps", "1",
                "--seq-len", "32", "--batch", "2", "--hidden-loss", "cosine", "--plan", planFile.toString(), "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("plan " + planFile) && r.err().contains("pruned from another model"), r.err());

        // a plan that keeps 3 layers for a student of 4
        Path plan3 = tmp.resolve("plan3.json");
        Cli p = Cli.run("prune", "--model", teacher.toString(), "--method", "random", "--seed", "1", "--target", "num_hidden_layers=3",
                "--plan-out", plan3.toString());
        assertEquals(0, p.code(), p.err());
        r = Cli.run("distill", "--teacher", teacher.toString(), "--student", student.toString(), "--data", data.toString(), "--steps", "1",
                "--seq-len", "32", "--batch", "2", "--hidden-loss", "cosine", "--plan", plan3.toString(), "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("lists 3 kept layers; the student (" + student + ") has 4"), r.err());

        // the student as its own teacher: 4 layers, and the metadata names layer 4
        r = Cli.run("distill", "--teacher", student.toString(), "--student", student.toString(), "--data", data.toString(), "--steps", "1",
                "--seq-len", "32", "--batch", "2", "--hidden-loss", "cosine", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("names layer 4"), r.err());

        // --plan without a hidden loss is a usage error
        r = Cli.run("distill", "--teacher", teacher.toString(), "--student", student.toString(), "--data", data.toString(), "--steps", "1",
                "--plan", planFile.toString(), "--out", out.toString());
        assertEquals(2, r.code(), r.err());
        assertFalse(Files.exists(out));
    }
}
