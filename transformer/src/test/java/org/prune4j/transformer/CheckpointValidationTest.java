package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/** A checkpoint that does not fit its config fails at load, naming the tensor and both shapes. */
class CheckpointValidationTest {
    @TempDir Path tmp;

    Map<String, Tensor> tinyTensors() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path src = SharedData.root().get().resolve("models/tiny-mha");
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        return new LinkedHashMap<>(LlamaModel.load(src, ScalarKernels.INSTANCE).namedTensors());
    }

    @Test
    void roundTripOfTheTensorsLoads() throws Exception {
        Map<String, Tensor> t = tinyTensors();
        TestCheckpoints.writeF32(tmp.resolve("model.safetensors"), t);
        LlamaModel m = LlamaModel.load(tmp, ScalarKernels.INSTANCE);
        assertEquals(t.keySet(), m.namedTensors().keySet());
        assertTrue(m.ignoredTensors().isEmpty());
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        Map<String, Tensor> t = tinyTensors();
        t.remove("model.layers.1.mlp.up_proj.weight");
        TestCheckpoints.writeF32(tmp.resolve("model.safetensors"), t);
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaModel.load(tmp, ScalarKernels.INSTANCE));
        assertTrue(e.getMessage().contains("missing tensor model.layers.1.mlp.up_proj.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("[176, 64]"), e.getMessage());
        assertTrue(e.getMessage().contains(tmp.toString()), "names the checkpoint: " + e.getMessage());
    }

    @Test
    void wrongShapeStatesBothShapes() throws Exception {
        Map<String, Tensor> t = tinyTensors();
        t.put("model.layers.0.self_attn.k_proj.weight", Tensor.zeros(32, 64));
        TestCheckpoints.writeF32(tmp.resolve("model.safetensors"), t);
        CheckpointException e = assertThrows(CheckpointException.class, () -> LlamaModel.load(tmp, ScalarKernels.INSTANCE));
        String m = e.getMessage();
        assertTrue(m.contains("model.layers.0.self_attn.k_proj.weight") && m.contains("[32, 64]") && m.contains("[64, 64]"), m);
    }

    @Test
    void extraTensorsAreListedNotUsed() throws Exception {
        Map<String, Tensor> t = tinyTensors();
        t.put("model.layers.0.self_attn.rotary_emb.inv_freq", Tensor.zeros(8));
        TestCheckpoints.writeF32(tmp.resolve("model.safetensors"), t);
        LlamaModel m = LlamaModel.load(tmp, ScalarKernels.INSTANCE);
        assertEquals(java.util.List.of("model.layers.0.self_attn.rotary_emb.inv_freq"), m.ignoredTensors());
    }
}
