package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.prune4j.io.SharedData;

/** GPT-2's tokenizer.json against llama.cpp's tokenizer test vectors (ids from the reference implementation). */
class Gpt2VectorsTest {
    @Test
    void matchesEveryVector() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path root = SharedData.root().get();
        Tokenizer tok = Tokenizers.load(root.resolve("data/tokenizers/gpt2/tokenizer.json"));
        // llama.cpp's test-tokenizer-0 format: texts separated by "\n__ggml_vocab_test__\n", one line of ids per text
        String raw = Files.readString(root.resolve("data/tokenizers/vectors/gpt2.inp"));
        String delim = "\n__ggml_vocab_test__\n";
        List<String> texts = new ArrayList<>();
        int pos;
        while ((pos = raw.indexOf(delim)) >= 0) {
            texts.add(raw.substring(0, pos));
            raw = raw.substring(pos + delim.length());
        }
        List<String> lines = Files.readAllLines(root.resolve("data/tokenizers/vectors/gpt2.out"));
        assertEquals(texts.size(), lines.size());
        assertTrue(texts.size() >= 40);
        for (int i = 0; i < texts.size(); i++) {
            String line = lines.get(i).strip();
            int[] want = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            String text = texts.get(i);
            assertArrayEquals(want, tok.encode(text), "vector " + i + ": \"" + text + "\"");
            assertEquals(text, tok.decode(tok.encode(text)), "byte-level BPE round-trips any text");
        }
        assertEquals(50257, tok.vocabSize());
        assertFalse(tok.addsBos(), "GPT-2's ByteLevel post-processor adds nothing");
        assertEquals(50256, tok.eosId());
    }

    /**
     * With the scanning path off (as for pre-tokenizers that are not one scanner), a whole corpus file goes through
     * the word-list parallel path (chunks of pre-tokenized words); its ids equal the sequential encoding.
     */
    @Test
    void parallelEncodingOfALongTextEqualsSequential() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path root = SharedData.root().get();
        Tokenizer tok = Tokenizers.load(root.resolve("data/tokenizers/gpt2/tokenizer.json"));
        String text = Files.readString(root.resolve("data/text/wikitext2-valid.txt"));
        int saved = HfTokenizer.parallelWords;
        int[] sequential, parallel;
        try {
            HfTokenizer.scanning = false;
            HfTokenizer.parallelWords = Integer.MAX_VALUE;
            sequential = tok.encode(text);
            HfTokenizer.parallelWords = saved;
            parallel = tok.encode(text);
        } finally {
            HfTokenizer.parallelWords = saved;
            HfTokenizer.scanning = true;
        }
        assertTrue(sequential.length > 10 * HfTokenizer.parallelWords, "the text is long enough to take the parallel path");
        assertArrayEquals(sequential, parallel);
    }
}
