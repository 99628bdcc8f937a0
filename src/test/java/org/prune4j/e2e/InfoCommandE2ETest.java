package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.cli.Main;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.Tensor;

/** {@code prune4j info} end to end through {@link Main#run}: a real model, a corrupt checkpoint, a missing tensor. */
class InfoCommandE2ETest {
    @TempDir Path dir;

    private static Map<String, Object> lastJson(String out) throws IOException {
        String[] lines = out.strip().split("\n");
        return Json.parseObject(lines[lines.length - 1], true);
    }

    private Path sharedModel(String name) {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        return SharedData.root().get().resolve("models/" + name);
    }

    @Test
    void describesStories260K() throws IOException {
        Path m = sharedModel("stories260K");
        Cli r = Cli.run("info", "--model", m.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = lastJson(r.out());
        assertEquals("LlamaForCausalLM", j.get("architecture"));
        assertEquals(5L, j.get("num_layers"));
        // parameter count from the config by hand: V*C + L*(2C + C*H*d*2 + 2*C*kv*d + 3*C*I) + C, tied head
        long v = 512, c = 64, l = 5, h = 8, kv = 4, d = 8, inter = 172;
        long expect = v * c + l * (2 * c + 2 * c * h * d + 2 * c * kv * d + 3 * c * inter) + c;
        assertEquals(expect, j.get("parameters"));
        assertEquals(Map.of("F32", expect), j.get("dtypes"));
        assertEquals(expect * 4, j.get("tensor_bytes"));
        assertEquals("tokenizer.model", j.get("tokenizer"));
        assertEquals(List.of(), j.get("missing_tensors"));
        assertEquals(true, j.get("complete"));
        assertEquals(Map.of("num_attention_heads", 8L, "num_key_value_heads", 4L, "intermediate_size", 172L),
                ((List<?>) j.get("layers")).get(4));

        Cli text = Cli.run("info", "--model", m.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("LlamaForCausalLM") && text.out().contains("260,032"), text.out());
    }

    @Test
    void bf16ModelReportsItsDtype() throws IOException {
        Cli r = Cli.run("info", "--model", sharedModel("tiny-qkvbias-bf16").toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = lastJson(r.out());
        assertEquals("Qwen2ForCausalLM", j.get("architecture"));
        assertEquals(List.of("BF16"), List.copyOf(((Map<?, ?>) j.get("dtypes")).keySet()));
        assertEquals(null, j.get("tokenizer"));
    }

    @Test
    void corruptCheckpointFailsWithOneLineNamingTheFileAndRule() throws IOException {
        Path src = sharedModel("tiny-mha");
        Path m = dir.resolve("broken");
        Files.createDirectories(m);
        Files.copy(src.resolve("config.json"), m.resolve("config.json"));
        byte[] good = Files.readAllBytes(src.resolve("model.safetensors"));
        Files.write(m.resolve("model.safetensors"), Arrays.copyOf(good, good.length - 100)); // truncated
        Cli r = Cli.run("info", "--model", m.toString());
        assertEquals(1, r.code());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.startsWith("prune4j: ") && err.contains("model.safetensors") && err.contains("truncated"), err);

        // a header that lies about a tensor's size
        byte[] bad = good.clone();
        String header = new String(good, 8, 200, StandardCharsets.US_ASCII);
        int at = header.indexOf("\"shape\":[") + 9;
        bad[8 + at] = (byte) (bad[8 + at] == '9' ? '8' : '9');
        Files.write(m.resolve("model.safetensors"), bad);
        Cli r2 = Cli.run("info", "--model", m.toString(), "--json");
        assertEquals(1, r2.code());
        String err2 = r2.err().strip();
        assertEquals(1, err2.lines().count(), err2);
        assertTrue(err2.contains("model.safetensors") && err2.contains("rule:") && err2.contains("tensor '"), err2);
        assertEquals("", r2.out());
    }

    @Test
    void reportsMissingTensors() throws IOException {
        Path src = sharedModel("tiny-mha");
        Path m = dir.resolve("partial");
        Files.createDirectories(m);
        Files.copy(src.resolve("config.json"), m.resolve("config.json"));
        try (SafeTensors st = SafeTensors.open(src)) {
            Map<String, Tensor> keep = new java.util.LinkedHashMap<>();
            for (String n : st.names()) if (!n.equals("model.layers.1.mlp.up_proj.weight")) keep.put(n, st.get(n));
            keep.put("extra.thing", Tensor.zeros(2));
            SafeTensorsWriter.write(m.resolve("model.safetensors"), keep, null);
        }
        Cli r = Cli.run("info", "--model", m.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = lastJson(r.out());
        assertEquals(List.of("model.layers.1.mlp.up_proj.weight"), j.get("missing_tensors"));
        assertEquals(List.of("extra.thing"), j.get("unused_tensors"));
        assertEquals(false, j.get("complete"));
    }

    @Test
    void missingFolderAndMissingCheckpoint() throws IOException {
        Cli r = Cli.run("info", "--model", dir.resolve("nope").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("nope"), r.err());
        Files.writeString(dir.resolve("config.json"), "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":8,\"intermediate_size\":8,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"vocab_size\":4}");
        Cli r2 = Cli.run("info", "--model", dir.toString());
        assertEquals(1, r2.code());
        assertTrue(r2.err().strip().lines().count() == 1 && r2.err().contains("model.safetensors"), r2.err());
    }
}
