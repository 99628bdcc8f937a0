package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The word cache answers exactly what was put, through growth and clearing, looked up by ranges of other strings. */
class WordCacheTest {
    @Test
    void agreesWithAHashMap() {
        WordCache c = new WordCache();
        Map<String, int[]> ref = new HashMap<>();
        Random rnd = new Random(7);
        for (int n = 0; n < 400_000; n++) {
            int len = 1 + rnd.nextInt(8);
            StringBuilder sb = new StringBuilder("xx");
            for (int k = 0; k < len; k++) sb.append((char) ('a' + rnd.nextInt(6)));
            sb.append("yy");
            String s = sb.toString(), w = s.substring(2, 2 + len);
            int h = WordCache.hash(s, 2, 2 + len);
            assertEquals(w.hashCode(), h);
            int[] got = c.get(s, 2, 2 + len, h);
            if (got != null) {
                assertArrayEquals(ref.get(w), got, w); // a cleared cache may miss, but never answers wrongly
            } else {
                int[] ids = {n, len};
                c.put(s, 2, 2 + len, h, ids);
                ref.put(w, ids);
                assertSame(ids, c.get(w, 0, len, h));
            }
        }
        String longWord = "z".repeat(WordCache.MAX_WORD + 1);
        c.put(longWord, 0, longWord.length(), WordCache.hash(longWord, 0, longWord.length()), new int[]{1});
        assertNull(c.get(longWord, 0, longWord.length(), WordCache.hash(longWord, 0, longWord.length())), "long words are not cached");
    }
}
