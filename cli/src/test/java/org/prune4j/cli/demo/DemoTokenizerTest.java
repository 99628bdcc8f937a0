package org.prune4j.cli.demo;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;

class DemoTokenizerTest {
    @TempDir Path dir;

    @Test
    void corpusIsDeterministicAndVaried() {
        String a = DemoCorpus.generate(3, 50_000), b = DemoCorpus.generate(3, 50_000), c = DemoCorpus.generate(4, 50_000);
        assertEquals(a, b);
        assertNotEquals(a, c);
        List<String> docs = TokenData.documents(a, DemoCorpus.SEPARATOR);
        assertTrue(docs.size() > 50, "stories: " + docs.size());
        assertTrue(docs.stream().distinct().count() == docs.size(), "no two stories alike");
        assertTrue(docs.stream().allMatch(d -> d.endsWith("The end.")));
    }

    @Test
    void trainedBpeLoadsAsTokenizerJsonAndRoundTrips() throws Exception {
        String text = DemoCorpus.generate(1, 200_000);
        List<String> docs = TokenData.documents(text, DemoCorpus.SEPARATOR);
        String json = BpeTrainer.train(docs, 400);
        assertEquals(json, BpeTrainer.train(docs, 400), "training is deterministic");
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json);
        Tokenizer tok = Tokenizers.load(f);
        assertEquals(400, tok.vocabSize());
        assertEquals(BpeTrainer.BOS_ID, tok.bosId());
        assertTrue(tok.addsBos());
        String held = TokenData.documents(DemoCorpus.generate(9, 5_000), DemoCorpus.SEPARATOR).getFirst();
        int[] ids = tok.encodeWithBos(held);
        assertEquals(BpeTrainer.BOS_ID, ids[0]);
        assertEquals(held, tok.decode(ids));
        assertTrue(ids.length < held.length() / 2, "merges compress the text: " + ids.length + " tokens for " + held.length() + " chars");
        String other = "Zürich 3.14 — naïve café ✓"; // bytes never seen in training still encode (byte-level)
        assertEquals(other, tok.decode(tok.encode(other)));
    }
}
