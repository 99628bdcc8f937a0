package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/**
 * The one-pass scanning encoder, cut into chunks at safe cuts, gives the ids of the word-list path (pre-tokenizer
 * into a list of words, then the model word by word, on one thread), for all three scanned patterns.
 */
class ChunkedScanTest {
    /** Pieces on the patterns' class boundaries, plus whole words so that safe cuts (letter, space) are common. */
    static final String[] ALPHABET = {"a", "Z", "é", "ſ", "K", "s", "t", "r", "e", "v", "m", "l", "d", "'", "’", " ", "  ", "\t",
            "\n", "\r", "\r\n", "\u00a0", "\u3000", "1", "23", "٣", "½", ".", ",", "!", "-", "😀", "👍🏽", "𝐀", "\u0301", "e\u0301",
            "中文", "\u200b", "'s", "'LL", "'Re", "'ve", "hello", " the", " World", "don't", "I'm ", "x "};

    @TempDir
    Path tmp;

    /** The word-list path, on the calling thread alone: the reference. */
    static int[] reference(Tokenizer tok, String text) {
        boolean savedScanning = HfTokenizer.scanning;
        int savedWords = HfTokenizer.parallelWords;
        try {
            HfTokenizer.scanning = false;
            HfTokenizer.parallelWords = Integer.MAX_VALUE;
            return tok.encode(text);
        } finally {
            HfTokenizer.scanning = savedScanning;
            HfTokenizer.parallelWords = savedWords;
        }
    }

    /** The scanning path with chunks of at least {@code chunkChars} chars, as many as the text allows. */
    static <T> T chunked(int chunkChars, Supplier<T> run) {
        int savedChars = HfTokenizer.chunkChars, savedChunks = HfTokenizer.maxChunks;
        try {
            HfTokenizer.chunkChars = chunkChars;
            HfTokenizer.maxChunks = Integer.MAX_VALUE;
            return run.get();
        } finally {
            HfTokenizer.chunkChars = savedChars;
            HfTokenizer.maxChunks = savedChunks;
        }
    }

    /** A byte-level tokenizer from a test resource, with its pre_tokenizer replaced (null: kept). */
    @SuppressWarnings("unchecked")
    Tokenizer byteLevel(String resource, Object preTokenizer) throws Exception {
        Path src = HfGoldenTest.resource(resource + ".json");
        if (preTokenizer == null) return Tokenizers.load(src);
        Map<String, Object> root = Json.parseObject(Files.readString(src), false);
        root.put("pre_tokenizer", preTokenizer);
        Path file = tmp.resolve(resource + "-" + Integer.toHexString(preTokenizer.hashCode()) + ".json");
        Files.writeString(file, Json.write(root));
        return Tokenizers.load(file);
    }

    /** GPT-2's pre-tokenizer (ByteLevel with its own regex), with or without the prefix space. */
    static Map<String, Object> gpt2Pre(boolean prefixSpace) {
        return Map.of("type", "ByteLevel", "add_prefix_space", prefixSpace, "trim_offsets", true, "use_regex", true);
    }

    @Test
    void safeCutsKeepTheMatchesOfAllThreePatterns() {
        String[] patterns = {SplitScanner.GPT2, SplitScanner.LLAMA3, SplitScanner.QWEN2};
        qt().withExamples(3000).forAll(lists().of(integers().between(0, ALPHABET.length - 1)).ofSizeBetween(0, 30)).checkAssert(idx -> {
            StringBuilder sb = new StringBuilder();
            for (int i : idx) sb.append(ALPHABET[i]);
            String s = sb.toString();
            for (String pattern : patterns) {
                SplitScanner sc = SplitScanner.forPattern(pattern);
                List<String> whole = SplitScannerTest.scanSplit(sc, s);
                for (int p = 0; p <= s.length(); p++) {
                    if (!SplitScanner.isSafeCut(s, p)) continue;
                    List<String> cut = new ArrayList<>(SplitScannerTest.scanSplit(sc, s.substring(0, p)));
                    cut.addAll(SplitScannerTest.scanSplit(sc, s.substring(p)));
                    assertEquals(whole, cut, "cut at " + p + " of " + Json.write(s) + " with " + pattern);
                }
            }
        });
    }

    @Test
    void cutsAreSafeAndOrdered() {
        String s = "abc def, ghi\njkl mno 123 pqr";
        int[] cuts = chunked(4, () -> HfTokenizer.cuts(s, 0, s.length()));
        assertEquals(0, cuts[0]);
        assertEquals(s.length(), cuts[cuts.length - 1]);
        assertTrue(cuts.length > 3, "several cuts in a text full of them");
        for (int k = 1; k < cuts.length - 1; k++) {
            assertTrue(cuts[k] > cuts[k - 1]);
            assertTrue(SplitScanner.isSafeCut(s, cuts[k]), "cut at " + cuts[k]);
        }
        String noCut = "中文中文中文中文中文中文中文中文 123 456";
        assertArrayEquals(new int[]{0, noCut.length()}, chunked(2, () -> HfTokenizer.cuts(noCut, 0, noCut.length())), "no letter then space: one chunk");
    }

    @Test
    void randomTextsEncodeAsTheWordListPathInTinyChunks() throws Exception {
        List<Tokenizer> toks = new ArrayList<>(List.of(byteLevel("llama3-style", null), byteLevel("qwen2-style", null),
                byteLevel("llama3-style", gpt2Pre(false)), byteLevel("llama3-style", gpt2Pre(true))));
        // the test vocabularies have few merges, so a wrong cut often gives the same ids; GPT-2's 50k merges rarely do
        var gpt2 = SharedData.resolve("data/tokenizers/gpt2/tokenizer.json");
        if (gpt2.isPresent()) toks.add(Tokenizers.load(gpt2.get()));
        for (Tokenizer tok : toks) {
            qt().withExamples(500).forAll(lists().of(integers().between(0, ALPHABET.length - 1)).ofSizeBetween(0, 60), integers().between(1, 8))
                    .checkAssert((idx, chunkChars) -> {
                        StringBuilder sb = new StringBuilder();
                        for (int i : idx) sb.append(ALPHABET[i]);
                        String text = sb.toString();
                        assertArrayEquals(reference(tok, text), chunked(chunkChars, () -> tok.encode(text)), () -> tok + ": " + Json.write(text));
                    });
        }
    }

    /** A byte-level cache miss read straight off the UTF-8 bytes merges as the mapped word does. */
    @Test
    void byteLevelWordsFromBytesEqualTheMappedWord() throws Exception {
        List<Tokenizer> toks = new ArrayList<>(List.of(byteLevel("llama3-style", null), byteLevel("qwen2-style", null)));
        var gpt2 = SharedData.resolve("data/tokenizers/gpt2/tokenizer.json");
        if (gpt2.isPresent()) toks.add(Tokenizers.load(gpt2.get()));
        String[] pieces = {"a", "Z", " the", "é", "ß", "中", "😀", "👍🏽", "\u0301", "\ud83d", "\ude00", "'s", "1", " ", "\n", "\u00a0", "ĠĠ", "world"};
        for (Tokenizer tok : toks) {
            BpeModel model = ((HfTokenizer) tok).model();
            Scratch scratch = new Scratch();
            qt().withExamples(2000).forAll(lists().of(integers().between(0, pieces.length - 1)).ofSizeBetween(1, 12)).checkAssert(idx -> {
                StringBuilder sb = new StringBuilder("<<");
                for (int i : idx) sb.append(pieces[i]);
                String src = sb.append(">>").toString();
                int[] want = model.tokenizeWord(ByteLevelMap.encode(src.substring(2, src.length() - 2)), scratch);
                assertArrayEquals(want, model.tokenizeBytes(src, 2, src.length() - 2, scratch), () -> tok + ": " + Json.write(src));
            });
        }
    }

    @Test
    void wikiTextEncodesAsTheWordListPath() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path root = SharedData.root().get();
        String text = Files.readString(root.resolve("data/text/wikitext2-test.txt"));
        List<Tokenizer> toks = List.of(Tokenizers.load(root.resolve("data/tokenizers/gpt2/tokenizer.json")),
                byteLevel("llama3-style", null), byteLevel("qwen2-style", null));
        for (Tokenizer tok : toks) {
            int[] want = reference(tok, text);
            assertTrue(want.length > 100_000);
            assertArrayEquals(want, tok.encode(text), tok + ": default chunks");
            assertArrayEquals(want, chunked(1000, () -> tok.encode(text)), tok + ": a thousand-char chunks");
            assertTrue(chunked(1000, () -> HfTokenizer.cuts(text, 0, text.length())).length > 1000, "the text is cut into many chunks");
        }
    }
}
