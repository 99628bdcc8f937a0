package org.prune4j.io.data;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;

class TokenDataTest {
    @TempDir
    Path tmp;

    /** A tokenizer whose ids are the code points, with BOS 0: lets the document rules be checked exactly. */
    static final Tokenizer CHARS = new Tokenizer() {
        public int[] encode(String text) { return text.codePoints().toArray(); }
        public String decode(int[] ids) { return new String(ids, 0, ids.length); }
        public int vocabSize() { return 0x110000; }
        public int bosId() { return 0; }
        public int eosId() { return -1; }
        public boolean addsBos() { return true; }
        public String piece(int id) { return Character.toString(id); }
    };

    @Test
    void documentsAreStrippedEncodedWithBosAndConcatenated() throws Exception {
        Path f = tmp.resolve("t.txt");
        Files.writeString(f, "  ab\n<|sep|>\n<|sep|> \u00a0c d\t<|sep|>\n");
        int[] ids = TokenData.fromText(f, CHARS, "<|sep|>", true);
        assertArrayEquals(new int[]{0, 'a', 'b', 0, 'c', ' ', 'd'}, ids);
        assertArrayEquals(new int[]{'a', 'b', 'c', ' ', 'd'}, TokenData.fromText(f, CHARS, "<|sep|>", false));
        int[] whole = TokenData.fromText(f, CHARS, null, true);
        assertEquals(0, whole[0]);
        assertEquals(Files.readString(f), CHARS.decode(Arrays.copyOfRange(whole, 1, whole.length)), "whole file: not stripped");
    }

    @Test
    void rawTokenFilesInAllFormats() throws Exception {
        int[] ids = {0, 1, 513, 65535, 7};
        Path u16 = tmp.resolve("a.bin");
        ByteBuffer b = ByteBuffer.allocate(ids.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) b.putShort((short) id);
        Files.write(u16, b.array());
        assertArrayEquals(ids, TokenData.load(u16));

        int[] big = {0, 150000, 7};
        Path i32 = tmp.resolve("a.i32.bin");
        ByteBuffer c = ByteBuffer.allocate(big.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : big) c.putInt(id);
        Files.write(i32, c.array());
        assertArrayEquals(big, TokenData.load(i32));
        assertArrayEquals(big, TokenData.load(u16.resolveSibling("a.i32.bin"), TokenData.Format.INT32));

        Path json = tmp.resolve("a.json");
        Files.writeString(json, "[0, 1, 513, 65535, 7]");
        assertArrayEquals(ids, TokenData.load(json));
    }

    @Test
    void badTokenFilesNameTheFile() throws Exception {
        Path odd = tmp.resolve("odd.bin");
        Files.write(odd, new byte[3]);
        assertTrue(assertThrows(java.io.IOException.class, () -> TokenData.load(odd)).getMessage().contains("odd.bin"));
        Path neg = tmp.resolve("neg.json");
        Files.writeString(neg, "[1, -2]");
        assertTrue(assertThrows(java.io.IOException.class, () -> TokenData.load(neg)).getMessage().contains("neg.json"));
        Path obj = tmp.resolve("obj.json");
        Files.writeString(obj, "{\"a\":1}");
        assertTrue(assertThrows(java.io.IOException.class, () -> TokenData.load(obj)).getMessage().contains("obj.json"));
        Path txt = tmp.resolve("x.txt");
        Files.writeString(txt, "1 2");
        assertTrue(assertThrows(java.io.IOException.class, () -> TokenData.load(txt)).getMessage().contains("x.txt"));
        Path bad = tmp.resolve("bad.txt");
        Files.write(bad, new byte[]{'a', (byte) 0xff});
        assertTrue(assertThrows(java.io.IOException.class, () -> TokenData.fromText(bad, CHARS, null, true)).getMessage().contains("bad.txt"));
    }

    @Test
    void windowsFirstAndRandom() {
        int[] t = new int[10];
        for (int i = 0; i < t.length; i++) t[i] = i;
        int[][] w = Windows.first(t, 0, 3);
        assertEquals(3, w.length);
        assertArrayEquals(new int[]{6, 7, 8}, w[2]);
        assertEquals(2, Windows.first(t, 2, 3).length);
        var e = assertThrows(IllegalArgumentException.class, () -> Windows.first(t, 4, 3, "x.txt"));
        assertTrue(e.getMessage().contains("x.txt") && e.getMessage().contains("10 tokens") && e.getMessage().contains("12"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Windows.first(t, 0, 11, "x.txt"));
        assertThrows(IllegalArgumentException.class, () -> Windows.random(t, 1, 11, 1, "x.txt"));
        int[][] r1 = Windows.random(t, 5, 4, 42), r2 = Windows.random(t, 5, 4, 42);
        assertArrayEquals(r1, r2, "same seed, same windows");
        for (int[] win : r1) for (int i = 1; i < win.length; i++) assertEquals(win[i - 1] + 1, win[i], "windows are contiguous runs");
    }

    @Test
    void randomWindowsStayInsideAndCoverEveryStart() {
        qt().forAll(integers().between(1, 40), integers().between(1, 40), longs().all()).checkAssert((n, len, seed) -> {
            int[] t = new int[len + 5];
            for (int i = 0; i < t.length; i++) t[i] = i;
            int[][] w = Windows.random(t, n, len, seed);
            assertEquals(n, w.length);
            for (int[] win : w) {
                assertEquals(len, win.length);
                assertTrue(win[0] >= 0 && win[len - 1] < t.length);
            }
        });
    }

    /** REFERENCE.md: tinystories-sample split at <|endoftext|>, BOS per story, windows of 512 → 3 windows, 1,533 predictions. */
    @Test
    void storiesReferenceWindowCount() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path root = SharedData.root().get();
        Tokenizer tok = Tokenizers.load(root.resolve("models/stories260K"));
        int[] ids = TokenData.fromText(root.resolve("data/text/tinystories-sample.txt"), tok, "<|endoftext|>", true);
        assertEquals(5, Arrays.stream(ids).filter(i -> i == 1).count(), "one BOS per story");
        assertEquals(1, ids[0]);
        int[][] w = Windows.first(ids, 0, 512);
        assertEquals(3, w.length);
        assertEquals(1533, w.length * 511);
    }
}
