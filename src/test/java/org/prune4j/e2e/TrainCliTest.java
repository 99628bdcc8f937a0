package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.transformer.LlamaModel;

/** train writes a Hugging Face folder that the other commands load, and refuses to clobber one. */
class TrainCliTest {
    @Test
    void trainsSavesAndTheResultLoads(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get();
        Path out = tmp.resolve("model");
        String[] args = {"train", "--text", shared.resolve("data/text/tinystories-sample.txt").toString(), "--doc-separator", "<|endoftext|>",
                "--tokenizer", shared.resolve("models/stories260K/tokenizer.model").toString(), "--out", out.toString(),
                "--hidden", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--seq-len", "32", "--batch", "4", "--steps", "12",
                "--lr", "3e-3", "--json", "--threads", "2"};
        Cli r = Cli.run(args);
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.lastLine(), false);
        double loss = ((Number) j.get("train_loss")).doubleValue();
        assertTrue(loss < Math.log(512) - 0.3, "12 steps move the loss below uniform (ln 512 = 6.24): " + loss);
        assertTrue(j.containsKey("val_nll"));
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.model"}) assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertTrue(r.err().contains("train: step 12/12"), r.err());

        ModelConfig cfg = ModelConfig.read(out);
        assertEquals(2, cfg.numKvHeads(0));
        assertEquals(512, cfg.vocabSize());
        LlamaModel m = LlamaModel.load(out, ScalarKernels.INSTANCE);
        assertEquals(((Number) j.get("parameters")).longValue(), m.parameterCount());

        Cli g = Cli.run("generate", "--model", out.toString(), "--steps", "5", "--temperature", "0", "--json");
        assertEquals(0, g.code(), g.err());

        Cli again = Cli.run(args); // the folder exists: refused without --force
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
    }

    @Test
    void continuesTrainingAnExistingModel(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get(), init = shared.resolve("models/stories260K"), out = tmp.resolve("more");
        Cli r = Cli.run("train", "--init", init.toString(), "--text", shared.resolve("data/text/tinystories-sample.txt").toString(),
                "--doc-separator", "<|endoftext|>", "--out", out.toString(), "--seq-len", "64", "--batch", "2", "--steps", "3", "--lr", "1e-4", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.lastLine(), false);
        LlamaModel m = LlamaModel.load(out, ScalarKernels.INSTANCE);
        assertEquals(LlamaModel.load(init, ScalarKernels.INSTANCE).parameterCount(), m.parameterCount());
        assertEquals(5, m.numLayers());
        // a trained model starts near its own loss (1.31 nats/token on this text), far below uniform (ln 512 = 6.24)
        assertTrue(((Number) j.get("train_loss")).doubleValue() < 3, r.lastLine());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.model")));
    }
}
