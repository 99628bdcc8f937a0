package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.prune4j.io.SharedData;

/** The hand-written split scanners give exactly the matches of the regexes they replace. */
class SplitScannerTest {
    /** Characters on every class boundary of the three patterns. */
    static final String[] ALPHABET = {"a", "Z", "é", "ſ", "K", "S", "s", "t", "T", "r", "R", "e", "E", "v", "m", "M", "l", "L",
            "d", "D", "'", "’", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u001c", "\u000b",
            "1", "23", "٣", "½", "Ⅻ", ".", ",", "!", "-", "_", "😀", "𝐀", "\u0301", "中", "\u200b", "'s", "'LL", "'Re", "'ve"};

    static List<String> regexSplit(Pattern p, String s) {
        List<String> out = new ArrayList<>();
        Matcher m = p.matcher(s);
        int prev = 0;
        while (m.find()) {
            if (m.start() != prev) out.add("GAP:" + s.substring(prev, m.start()));
            out.add(m.group());
            prev = m.end();
        }
        if (prev != s.length()) out.add("GAP:" + s.substring(prev));
        return out;
    }

    static List<String> scanSplit(SplitScanner sc, String s) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < s.length(); ) {
            int e = sc.end(s, i, s.length());
            assertTrue(e > i, "scanner must advance");
            out.add(s.substring(i, e));
            i = e;
        }
        return out;
    }

    static void check(String pattern, String s) {
        assertEquals(regexSplit(OnigRegex.compile(pattern), s), scanSplit(SplitScanner.forPattern(pattern), s), () -> "text: " + org.prune4j.io.json.Json.write(s));
    }

    @Test
    void randomTextsSplitLikeTheRegex() {
        for (String pattern : new String[]{SplitScanner.GPT2, SplitScanner.LLAMA3, SplitScanner.QWEN2}) {
            qt().withExamples(3000).forAll(lists().of(integers().between(0, ALPHABET.length - 1)).ofSizeBetween(0, 24)).checkAssert(idx -> {
                StringBuilder sb = new StringBuilder();
                for (int i : idx) sb.append(ALPHABET[i]);
                check(pattern, sb.toString());
            });
        }
    }

    @Test
    void realTextSplitsLikeTheRegex() throws Exception {
        List<String> texts = new ArrayList<>(List.of("I'LL BE THERE'S 'Re", "a \n\n b\r\n\t c   ", "12345 678 ٣٤٥", "x  ", " "));
        var wiki = SharedData.resolve("data/text/wikitext2-test.txt");
        if (wiki.isPresent()) texts.add(Files.readString(wiki.get()).substring(0, 200_000));
        for (String pattern : new String[]{SplitScanner.GPT2, SplitScanner.LLAMA3, SplitScanner.QWEN2}) {
            for (String t : texts) check(pattern, t);
        }
    }

    @Test
    void onlyTheKnownPatternsHaveScanners() {
        assertNull(SplitScanner.forPattern("\\s+"));
        assertNotNull(SplitScanner.forPattern(SplitScanner.LLAMA3));
    }
}
