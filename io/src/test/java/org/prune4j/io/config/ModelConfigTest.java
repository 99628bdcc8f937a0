package org.prune4j.io.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** config.json reading with Hugging Face's defaults, validation messages, RoPE frequencies, per-layer overrides, write-back. */
class ModelConfigTest {
    @TempDir Path dir;

    private static final String LLAMA = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "intermediate_size": 172,
             "num_hidden_layers": 5, "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 512,
             "max_position_embeddings": 512, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": true,
             "hidden_act": "silu", "attention_bias": false, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32",
             "my_custom_key": {"kept": [1, 2]}}""";

    private ModelConfig read(String json) throws IOException {
        Path p = dir.resolve("config.json");
        Files.writeString(p, json);
        return ModelConfig.read(dir);
    }

    /** Reads {@code json} with {@code key} set to {@code value} (JSON text; null removes the key). */
    private ModelConfig readWith(String key, String value) throws IOException {
        Map<String, Object> m = Json.parseObject(LLAMA, false);
        if (value == null) m.remove(key);
        else m.put(key, Json.parse(value));
        return read(Json.write(m));
    }

    private ConfigException refused(String key, String value, String fragment) {
        ConfigException e = assertThrows(ConfigException.class, () -> readWith(key, value));
        assertTrue(e.getMessage().startsWith(dir.resolve("config.json") + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
        return e;
    }

    @Test
    void readsLlamaWithAllFields() throws IOException {
        ModelConfig c = read(LLAMA);
        assertEquals("LlamaForCausalLM", c.architecture());
        assertEquals("llama", c.modelType());
        assertEquals(64, c.hiddenSize());
        assertEquals(5, c.numLayers());
        for (int l = 0; l < 5; l++) {
            assertEquals(8, c.numHeads(l));
            assertEquals(4, c.numKvHeads(l));
            assertEquals(2, c.kvGroups(l));
            assertEquals(172, c.intermediateSize(l));
        }
        assertEquals(8, c.headDim());
        assertEquals(512, c.vocabSize());
        assertEquals(1e-5, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertNull(c.ropeScaling());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.attentionBias());
        assertFalse(c.mlpBias());
        assertEquals(512, c.maxPositionEmbeddings());
        assertEquals(1, c.bosTokenId());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());
        assertEquals("float32", c.torchDtype());
        assertNull(c.slidingWindow());
        assertFalse(c.hasPerLayerShapes());
    }

    @Test
    void huggingFaceDefaults() throws IOException {
        ModelConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 96, "intermediate_size": 256, "num_hidden_layers": 2,
                 "num_attention_heads": 6, "vocab_size": 100}""");
        assertEquals(6, c.numKvHeads(0));        // num_key_value_heads = heads
        assertEquals(16, c.headDim());           // hidden / heads
        assertEquals(1e-6, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertFalse(c.tieWordEmbeddings());
        assertEquals("llama", c.modelType());
        assertEquals(1, c.bosTokenId());
        assertArrayEquals(new int[] {2}, c.eosTokenIds());

        ModelConfig q = read("""
                {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 90, "sliding_window": 4096,
                 "use_sliding_window": false, "eos_token_id": [151643, 151645], "bos_token_id": null}""");
        assertTrue(q.attentionBias());           // Qwen2: q/k/v bias always
        assertFalse(q.outputBias());
        assertNull(q.slidingWindow());           // only with use_sliding_window
        assertArrayEquals(new int[] {151643, 151645}, q.eosTokenIds());
        assertNull(q.bosTokenId());
        assertEquals(32768, q.maxPositionEmbeddings());

        ModelConfig m = read("""
                {"architectures": ["MistralForCausalLM"], "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 1, "vocab_size": 90, "head_dim": 32}""");
        assertEquals(4096, m.slidingWindow());
        assertEquals(32, m.headDim());
        assertFalse(m.attentionBias());
    }

    @Test
    void llamaAttentionBiasCoversOutputProjection() throws IOException {
        ModelConfig c = readWith("attention_bias", "true");
        assertTrue(c.attentionBias());
        assertTrue(c.outputBias());
        assertTrue(readWith("mlp_bias", "true").mlpBias());
    }

    @Test
    void validationNamesFileKeyAndWhatIsSupported() {
        refused("architectures", "[\"GPT2LMHeadModel\"]", "LlamaForCausalLM");
        refused("architectures", "\"LlamaForCausalLM\"", "non-empty list");
        refused("hidden_size", null, "'hidden_size' is required");
        refused("hidden_size", "\"64\"", "must be an integer, found string");
        refused("hidden_size", "64.5", "must be an integer");
        refused("num_attention_heads", "7", "does not divide hidden_size");
        refused("num_key_value_heads", "3", "does not divide num_attention_heads");
        refused("num_key_value_heads", "0", "positive");
        refused("tie_word_embeddings", "1", "true or false");
        refused("rms_norm_eps", "-1", "positive");
        refused("hidden_act", "\"gelu\"", "silu");
        refused("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "supported: default, linear, llama3");
        refused("rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8.0}", "rope_scaling.low_freq_factor");
        refused("eos_token_id", "[1, \"x\"]", "eos_token_id");
        refused("num_hidden_layers", "2000000000", "implausible");
        refused(ModelConfig.PER_LAYER_KEY, "[{}]", "list of 5");
    }

    @Test
    void unparsableFilesNameTheFile() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": ");
        ConfigException e = assertThrows(ConfigException.class, () -> ModelConfig.read(dir));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("JSON"), e.getMessage());
    }

    @Test
    void defaultRopeFrequencies() throws IOException {
        ModelConfig c = read(LLAMA);
        double[] inv = c.ropeInvFreq();
        assertEquals(4, inv.length);
        for (int i = 0; i < 4; i++) assertEquals(1.0 / Math.pow(10000.0, 2.0 * i / 8), inv[i], 1e-15);
    }

    @Test
    void llama3RopeScalingMatchesHuggingFace() throws IOException {
        // Llama 3.1 8B's values; the expectation restates transformers' _compute_llama3_parameters band by band
        ModelConfig c = read("""
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 1,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256, "rope_theta": 500000.0,
                 "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192, "rope_type": "llama3"}}""");
        RopeScaling s = c.ropeScaling();
        assertEquals("llama3", s.type());
        assertEquals(8192, s.originalMaxPositionEmbeddings());
        double[] inv = c.ropeInvFreq();
        assertEquals(64, inv.length);
        // hand-derived from the rule: wavelen = 2*pi/f; high band (wavelen < 2048) unchanged, low band (> 8192) / 8,
        // medium band blended with smooth = (8192/wavelen - 1) / 3
        for (int i = 0; i < 64; i++) {
            double f = 1.0 / Math.pow(500000.0, 2.0 * i / 128);
            double wl = 2 * Math.PI / f;
            double expect;
            if (wl < 2048) expect = f;
            else if (wl > 8192) expect = f / 8;
            else {
                double sm = (8192 / wl - 1) / 3;
                expect = (1 - sm) * f / 8 + sm * f;
            }
            assertEquals(expect, inv[i], 1e-12 * f, "i=" + i);
        }
        assertEquals(1.0, inv[0]);                             // highest frequency kept
        assertEquals(1.0 / Math.pow(500000.0, 126.0 / 128) / 8, inv[63], 1e-20); // lowest divided by factor
        // the three bands are all present, and the blend is monotone (no frequency jumps up)
        int high = 0, low = 0;
        for (int i = 0; i < 64; i++) {
            double f = 1.0 / Math.pow(500000.0, 2.0 * i / 128);
            if (inv[i] == f) high++;
            else if (Math.abs(inv[i] - f / 8) <= 1e-15 * f) low++;
            if (i > 0) assertTrue(inv[i] < inv[i - 1], "i=" + i);
        }
        assertTrue(high > 0 && low > 0 && high + low < 64, high + " high, " + low + " low");
    }

    @Test
    void linearScalingDividesEveryFrequency() throws IOException {
        ModelConfig c = readWith("rope_scaling", "{\"type\": \"linear\", \"factor\": 2.0}");
        ModelConfig plain = read(LLAMA);
        double[] a = c.ropeInvFreq(), b = plain.ropeInvFreq();
        for (int i = 0; i < a.length; i++) assertEquals(b[i] / 2, a[i], 1e-18);
        assertNull(readWith("rope_scaling", "{\"rope_type\": \"default\"}").ropeScaling());
    }

    @Test
    void perLayerOverridesRoundTrip() throws IOException {
        ModelConfig c = read(LLAMA);
        ModelConfig pruned = c.toBuilder().layer(1, 6, 2, 100).intermediateSize(3, 0).build();
        assertTrue(pruned.hasPerLayerShapes());
        assertEquals(6, pruned.numHeads(1));
        assertEquals(2, pruned.numKvHeads(1));
        assertEquals(100, pruned.intermediateSize(1));
        assertEquals(0, pruned.intermediateSize(3));
        assertEquals(8, pruned.numHeads(0));
        assertEquals(8, pruned.headDim());
        assertEquals(8, c.numHeads(1)); // the source is immutable

        Path out = dir.resolve("out");
        Files.createDirectories(out);
        pruned.write(out);
        Map<String, Object> json = Json.parseObject(Files.readString(out.resolve("config.json")), true);
        assertEquals(Map.of("kept", List.of(1L, 2L)), json.get("my_custom_key"));   // unknown keys kept
        assertEquals(8L, json.get("head_dim"));                                     // explicit once heads differ
        assertTrue(json.get(ModelConfig.PER_LAYER_KEY) instanceof List<?> l && l.size() == 5);
        ModelConfig back = ModelConfig.read(out);
        assertEquals(pruned, back);
        for (int l = 0; l < 5; l++) {
            assertEquals(pruned.numHeads(l), back.numHeads(l));
            assertEquals(pruned.numKvHeads(l), back.numKvHeads(l));
            assertEquals(pruned.intermediateSize(l), back.intermediateSize(l));
        }

        // uniform pruning collapses to plain keys Hugging Face reads
        ModelConfig uniform = c.toBuilder().numHeads(4).numKvHeads(2).intermediateSize(128).build();
        assertFalse(uniform.hasPerLayerShapes());
        Map<String, Object> u = uniform.toJson();
        assertFalse(u.containsKey(ModelConfig.PER_LAYER_KEY));
        assertEquals(4L, u.get("num_attention_heads"));
        assertEquals(128L, u.get("intermediate_size"));
        assertEquals(8L, u.get("head_dim")); // 64 / 4 = 16 would be wrong: head size is kept

        ConfigException bad = assertThrows(ConfigException.class, () -> c.withLayer(2, 6, 4, 10));
        assertTrue(bad.getMessage().contains(ModelConfig.PER_LAYER_KEY + "[2].num_key_value_heads"), bad.getMessage());
        ModelConfig shallow = c.toBuilder().keepLayers(0, 4).build();
        assertEquals(2, shallow.numLayers());
    }

    @Test
    void writeBackIsReadByPythonJson() throws IOException {
        ModelConfig c = readWith("eos_token_id", "[2, 3]");
        c.write(dir.resolve("config2.json"));
        ModelConfig back = ModelConfig.read(dir.resolve("config2.json"));
        assertEquals(c, back);
        assertArrayEquals(new int[] {2, 3}, back.eosTokenIds());
        assertFalse(Files.list(dir).anyMatch(p -> p.getFileName().toString().contains(".tmp")));
    }

    @Test
    void readsEveryConfigInShared() throws IOException {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        try (var models = Files.list(SharedData.root().get().resolve("models"))) {
            for (Path m : models.filter(Files::isDirectory).toList()) {
                ModelConfig c = ModelConfig.read(m);
                assertTrue(ModelConfig.ARCHITECTURES.contains(c.architecture()), m.toString());
                ModelConfig back = ModelConfig.parse(c.toJson(), m.resolve("config.json"));
                assertEquals(c, back, m.toString());
            }
        }
        ModelConfig q = ModelConfig.read(SharedData.root().get().resolve("models/tiny-qkvbias-bf16"));
        assertTrue(q.attentionBias());
        assertEquals("bfloat16", q.torchDtype());
        assertEquals(1_000_000.0, q.ropeTheta());
    }
}
