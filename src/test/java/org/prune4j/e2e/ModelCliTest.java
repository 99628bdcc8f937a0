package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** generate and eval on stories260K through the command line, against llama2.c's and PyTorch's figures. */
class ModelCliTest {
    Path shared, stories;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        shared = SharedData.root().get();
        stories = shared.resolve("models/stories260K");
    }

    @Test
    void greedyGenerationPrintsLlama2cText() throws Exception {
        Cli r = Cli.run("generate", "--model", stories.toString(), "--steps", "200", "--temperature", "0", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals(Files.readString(stories.resolve("reference/greedy-200.txt")) + "\n", r.out());
    }

    @Test
    void generateJsonHoldsBosPromptAndNewTokens() throws Exception {
        Cli r = Cli.run("generate", "--model", stories.toString(), "--steps", "200", "--temperature", "0", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> got = Json.parseObject(r.lastLine(), false);
        Map<String, Object> ref = Json.parseObject(Files.readString(stories.resolve("reference/greedy-200.json")), false);
        assertEquals(((List<?>) ref.get("tokens")).stream().map(o -> ((Number) o).longValue()).toList(),
                ((List<?>) got.get("tokens")).stream().map(o -> ((Number) o).longValue()).toList());
        assertEquals(Files.readString(stories.resolve("reference/greedy-200.txt")), got.get("text"));
    }

    @Test
    void sampledGenerationIsReproducibleAndStartsWithThePrompt() throws Exception {
        String[] args = {"generate", "--model", stories.toString(), "--prompt", "Once upon a time", "--steps", "20",
                "--temperature", "0.8", "--top-p", "0.9", "--seed", "7", "--json"};
        Cli a = Cli.run(args), b = Cli.run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(a.lastLine(), b.lastLine());
        String text = (String) Json.parseObject(a.lastLine(), false).get("text");
        assertTrue(text.startsWith("Once upon a time"), text);
    }

    @Test
    void evalGivesThePublishedLoss() throws Exception {
        Cli r = Cli.run("eval", "--model", stories.toString(), "--text", shared.resolve("data/text/tinystories-sample.txt").toString(),
                "--doc-separator", "<|endoftext|>", "--seq-len", "512", "--batch", "3", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.lastLine(), false);
        assertEquals(1.310, ((Number) j.get("nll")).doubleValue(), 0.002);
        assertEquals(1533, ((Number) j.get("tokens")).longValue());
        assertEquals(Math.exp(((Number) j.get("nll")).doubleValue()), ((Number) j.get("ppl")).doubleValue(), 1e-9);
        assertTrue(r.err().contains("tokens/s"), "progress on stderr: " + r.err());
    }

    @Test
    void aCheckpointThatDoesNotFitItsConfigFailsNamingTensorAndShapes(@TempDir Path tmp) throws Exception {
        String cfg = Files.readString(stories.resolve("config.json")).replace("\"intermediate_size\": 172", "\"intermediate_size\": 100");
        assertNotEquals(Files.readString(stories.resolve("config.json")), cfg);
        Files.writeString(tmp.resolve("config.json"), cfg);
        Files.copy(stories.resolve("model.safetensors"), tmp.resolve("model.safetensors"));
        Files.copy(stories.resolve("tokenizer.model"), tmp.resolve("tokenizer.model"));
        Cli r = Cli.run("generate", "--model", tmp.toString(), "--steps", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("model.layers.0.mlp.gate_proj.weight") && r.err().contains("[172, 64]") && r.err().contains("[100, 64]"), r.err());
    }
}
