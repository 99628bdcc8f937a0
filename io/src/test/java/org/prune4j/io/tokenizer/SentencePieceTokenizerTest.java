package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assumptions;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** tok512 (llama2.c's SentencePiece BPE model) against ids from the sentencepiece library, and stories260K's decode. */
class SentencePieceTokenizerTest {

    private static Path shared(String rel) {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        return SharedData.root().get().resolve(rel);
    }

    @Test
    @SuppressWarnings("unchecked")
    void matchesSentencepieceIdsForEveryText() throws Exception {
        Path dir = shared("data/tokenizers/tok512");
        Tokenizer tok = Tokenizers.load(dir.resolve("tokenizer.model"));
        Map<String, Object> ref = Json.parseObject(Files.readString(dir.resolve("expected-ids.json")), false);
        int checked = 0;
        for (var e : ref.entrySet()) {
            if (!(e.getValue() instanceof List<?> cases)) continue;
            for (Object c : cases) {
                Map<String, Object> m = (Map<String, Object>) c;
                String text = (String) m.get("text");
                List<Object> ids = (List<Object>) m.get("ids");
                int[] want = ids.stream().mapToInt(o -> ((Long) o).intValue()).toArray();
                assertArrayEquals(want, tok.encode(text), () -> e.getKey() + " text: " + text);
                checked++;
            }
        }
        assertTrue(checked > 100, "expected-ids.json should hold many texts, found " + checked);
    }

    @Test
    void specialIdsOfTok512() throws Exception {
        Tokenizer tok = Tokenizers.load(shared("models/stories260K"));
        assertEquals(512, tok.vocabSize());
        assertEquals(1, tok.bosId());
        assertEquals(2, tok.eosId());
        assertTrue(tok.addsBos());
        assertEquals("<0x0A>", tok.piece(13));
        assertEquals(1, tok.encodeWithBos("Hi")[0]);
    }

    @Test
    @SuppressWarnings("unchecked")
    void decodesGreedyReferenceExactly() throws Exception {
        Path dir = shared("models/stories260K");
        Tokenizer tok = Tokenizers.load(dir);
        Map<String, Object> ref = Json.parseObject(Files.readString(dir.resolve("reference/greedy-200.json")), false);
        int[] ids = ((List<Object>) ref.get("tokens")).stream().mapToInt(o -> ((Long) o).intValue()).toArray();
        String want = Files.readString(dir.resolve("reference/greedy-200.txt"));
        assertEquals(want, tok.decode(java.util.Arrays.copyOfRange(ids, 1, ids.length)));
        assertEquals(want, tok.decode(ids), "the BOS control piece decodes to nothing");
    }

    @Test
    void roundTripsTextThroughByteFallback() throws Exception {
        Tokenizer tok = Tokenizers.load(shared("data/tokenizers/tok512/tokenizer.model"));
        for (String s : new String[]{"Hello, 世界! 🦙 naïve café", "tabs\tand\nnewlines\r\n", "a b c", "x"}) {
            assertEquals(s, tok.decode(tok.encode(s)), s);
        }
        // tok512 was trained with remove_extra_whitespaces: leading, trailing and repeated spaces go, as in sentencepiece
        assertEquals("a b c", tok.decode(tok.encode("  a  b   c  ")));
        assertArrayEquals(new int[0], tok.encode(""));
        assertEquals("", tok.decode(new int[0]));
    }

    @Test
    void refusesGarbageWithFileName() throws Exception {
        Path f = Files.createTempFile("bad", ".model");
        try {
            Files.write(f, new byte[]{0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f});
            var e = assertThrows(TokenizerFormatException.class, () -> Tokenizers.load(f));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
