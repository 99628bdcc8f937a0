package org.prune4j.pruning;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SparsityPlanTest {
    @TempDir Path dir;

    Path file(String json) throws Exception {
        Path p = dir.resolve("ratios.json");
        Files.writeString(p, json);
        return p;
    }

    static final Set<String> NAMES = Set.of("model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj");

    @Test
    void listGivesOneRatioPerLayer() throws Exception {
        SparsityPlan p = SparsityPlan.read(file("[0.25, 0.75]"), null);
        p.validate(2, NAMES);
        assertEquals(0.25, p.target(0, "model.layers.0.mlp.down_proj.weight").ratio());
        assertEquals(0.75, p.target(1, "model.layers.1.self_attn.q_proj.weight").ratio());
        PruningException e = assertThrows(PruningException.class, () -> p.validate(3, NAMES));
        assertTrue(e.getMessage().contains("2 ratios") && e.getMessage().contains("3 layers"), e.getMessage());
    }

    @Test
    void objectFormNamesWinOverLayersOverDefault() throws Exception {
        SparsityPlan p = SparsityPlan.read(file("{\"default\": 0.5, \"layers\": {\"1\": 0.3}, \"linears\": {\"model.layers.1.self_attn.q_proj.weight\": 0.9}}"), null);
        p.validate(2, NAMES);
        assertEquals(0.5, p.target(0, "model.layers.0.mlp.down_proj.weight").ratio());
        assertEquals(0.3, p.target(1, "model.layers.1.mlp.down_proj.weight").ratio());
        assertEquals(0.9, p.target(1, "model.layers.1.self_attn.q_proj.weight").ratio());
        assertFalse(p.isUniform());
    }

    @Test
    void fallbackFromTheCommandLineAndMissingRatios() throws Exception {
        SparsityPlan p = SparsityPlan.read(file("{\"layers\": {\"0\": 0.1}}"), new Sparsity.Unstructured(0.6));
        assertEquals(0.6, p.target(1, "x").ratio());
        SparsityPlan q = SparsityPlan.read(file("{\"layers\": {\"0\": 0.1}}"), null);
        assertThrows(PruningException.class, () -> q.target(1, "model.layers.1.mlp.up_proj.weight"));
    }

    @Test
    void badFilesNameTheFileAndTheProblem() throws Exception {
        for (String bad : new String[] {"[1.0]", "[-0.1]", "{\"layers\": {\"x\": 0.1}}", "{\"bogus\": 1}", "\"hi\"", "[", "[]", "{\"default\": \"0.5\"}"}) {
            Path f = file(bad);
            PruningException e = assertThrows(PruningException.class, () -> SparsityPlan.read(f, null), bad);
            assertTrue(e.getMessage().contains("ratios.json"), e.getMessage());
        }
        SparsityPlan p = SparsityPlan.read(file("{\"layers\": {\"7\": 0.1}, \"linears\": {}}"), null);
        assertThrows(PruningException.class, () -> p.validate(2, NAMES));
        SparsityPlan q = SparsityPlan.read(file("{\"linears\": {\"model.layers.0.mlp.nope\": 0.1}}"), null);
        assertThrows(PruningException.class, () -> q.validate(2, NAMES));
    }
}
