package org.prune4j.transformer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;
import org.prune4j.io.SharedData;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.json.Json;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.tensor.VectorKernels;

/** stories260K, a real pretrained GQA Llama: llama2.c's greedy output and the published validation loss. */
class StoriesTest {
    static Path dir;
    static LlamaModel model;
    static Tokenizer tok;

    @BeforeAll
    static void load() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        dir = SharedData.root().get().resolve("models/stories260K");
        model = LlamaModel.load(dir, new VectorKernels(2));
        tok = Tokenizers.load(dir.resolve("tokenizer.model"));
    }

    @Test
    void greedyGenerationReproducesLlama2c() throws Exception {
        Map<String, Object> ref = Json.parseObject(Files.readString(dir.resolve("reference/greedy-200.json")), false);
        List<?> want = (List<?>) ref.get("tokens");
        int[] got = new Generator(model).generate(new int[] {tok.bosId()}, 200, new Sampler(0f, 1f, 0), null, null);
        assertEquals(200, got.length);
        for (int i = 0; i < 200; i++) assertEquals(((Number) want.get(i + 1)).intValue(), got[i], "token " + i);
        assertEquals(Files.readString(dir.resolve("reference/greedy-200.txt")), tok.decode(got));
    }

    @Test
    void validationLossMatchesPyTorch() throws Exception {
        Path text = SharedData.root().get().resolve("data/text/tinystories-sample.txt");
        int[] ids = TokenData.fromText(text, tok, "<|endoftext|>", true);
        Perplexity.Result r = Perplexity.evaluate(model, Windows.first(ids, 0, 512), 2, null);
        assertEquals(1533, r.tokens());
        assertEquals(1.310, r.nll(), 0.002); // REFERENCE.md: 1.310 nats/token over 1,533 predictions (PyTorch, HF semantics)
        assertEquals(Math.exp(r.nll()), r.ppl(), 1e-12);
    }
}
