package org.prune4j.io.json;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The one JSON grammar (JsonPull) through the tree reader: what the writer writes reads back, what RFC 8259 forbids is refused. */
class JsonTest {

    /** A random tree of every value type, strings with escapes and non-ASCII text included. */
    static Object tree(SplittableRandom r, int depth) {
        int kind = r.nextInt(depth > 3 ? 6 : 8);
        return switch (kind) {
            case 0 -> null;
            case 1 -> r.nextBoolean();
            case 2 -> r.nextLong();
            case 3 -> r.nextDouble() * 1e6 - 5e5;
            case 4 -> new BigInteger(80, new java.util.Random(r.nextLong())).add(BigInteger.ONE.shiftLeft(70));
            case 5 -> new String[] {"", "a\"b", "back\\slash", "tab\tnew\nline", "\u0001", "é☃𝄞", "/"}[r.nextInt(7)];
            case 6 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) l.add(tree(r, depth + 1));
                yield l;
            }
            default -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = r.nextInt(4); i > 0; i--) m.put("k" + r.nextInt(100) + "é", tree(r, depth + 1));
                yield m;
            }
        };
    }

    @Test
    void whatTheWriterWritesReadsBack() {
        qt().withExamples(300).forAll(integers().between(0, 1_000_000)).checkAssert(seed -> {
            Object t = tree(new SplittableRandom(seed), 0);
            try {
                assertEquals(t, Json.parse(Json.write(t)));
                assertEquals(t, Json.parse(Json.writePretty(t, 2)));
            } catch (JsonException e) {
                fail(Json.write(t) + ": " + e.getMessage());
            }
        });
    }

    @Test
    void whatTheGrammarForbidsIsRefused() throws JsonException {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "1e", "-", "+1", "[1 2]", "{\"a\" 1}", "{1:2}",
                "\"unterminated", "\"ctrl\u0001\"", "\"\\x\"", "\"\\u12\"", "tru", "nul", "{} x", "'single'", "[\"a\"]]"}) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains(" at byte "), e.getMessage());
        }
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1)));
        assertEquals(1, ((List<?>) Json.parse("[".repeat(Json.MAX_DEPTH) + "0" + "]".repeat(Json.MAX_DEPTH))).size(), "MAX_DEPTH levels are accepted");
        JsonException dup = assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}", true));
        assertTrue(dup.getMessage().contains("duplicate key \"a\""), dup.getMessage());
        assertEquals(Map.of("a", 2L), Json.parse("{\"a\":1,\"a\":2}", false));
    }
}
