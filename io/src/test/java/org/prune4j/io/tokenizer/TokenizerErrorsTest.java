package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad or unsupported tokenizer files fail with an IOException that names the file and the problem. */
class TokenizerErrorsTest {
    @TempDir
    Path tmp;

    private IOException fails(Path p) {
        IOException e = assertThrows(IOException.class, () -> Tokenizers.load(p));
        assertTrue(e.getMessage().contains(p.toString()), "message names the file: " + e.getMessage());
        return e;
    }

    private Path json(String name, String body) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, body);
        return p;
    }

    private static final String VOCAB = "{\"a\":0,\"b\":1,\"ab\":2}";

    @Test
    void tokenizerJsonProblems() throws Exception {
        assertTrue(fails(json("bad.json", "{\"model\": ")).getMessage().contains("not valid JSON"));
        String unigram = fails(json("uni.json", "{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",0.0]]}}")).getMessage();
        assertTrue(unigram.contains("Unigram") && unigram.contains("supported:"), unigram);
        assertTrue(fails(json("wp.json", "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}")).getMessage().contains("WordPiece"));
        String merge = fails(json("merge.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":" + VOCAB + ",\"merges\":[\"a c\"]}}")).getMessage();
        assertTrue(merge.contains("\"c\"") && merge.contains("merges[0]"), merge);
        assertTrue(fails(json("merge3.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":" + VOCAB + ",\"merges\":[\"a b c\"]}}")).getMessage().contains("merges[0]"));
        String pre = fails(json("pre.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":" + VOCAB + ",\"merges\":[]},"
                + "\"normalizer\":{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"AAAA\"}}")).getMessage();
        assertTrue(pre.contains("Precompiled") && pre.contains("not supported"), pre);
        String re = fails(json("re.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":" + VOCAB + ",\"merges\":[]},"
                + "\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(\"},\"behavior\":\"Isolated\",\"invert\":false}}")).getMessage();
        assertTrue(re.contains("pre_tokenizer.pattern") && re.contains("regex"), re);
        assertTrue(fails(json("post.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":" + VOCAB + ",\"merges\":[]},"
                + "\"post_processor\":{\"type\":\"Mystery\"}}")).getMessage().contains("Mystery"));
        assertTrue(fails(json("vocab.json", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":\"x\"},\"merges\":[]}}")).getMessage().contains("model.vocab"));
    }

    @Test
    void minimalTokenizerJsonWorks() throws Exception {
        Tokenizer t = Tokenizers.load(json("ok.json", "{\"model\":{\"vocab\":" + VOCAB + ",\"merges\":[[\"a\",\"b\"]]}}"));
        // tokenizers 0.21 gives [2, 2] and "ab ab": with no unknown token the space is dropped, no decoder joins with spaces
        assertArrayEquals(new int[]{2, 2}, t.encode("aba b"));
        assertEquals("ab ab", t.decode(new int[]{2, 2}));
        assertEquals(-1, t.bosId());
        assertFalse(t.addsBos());
    }

    @Test
    void folderAndMissingFiles() throws Exception {
        IOException e = fails(tmp);
        assertTrue(e.getMessage().contains("neither tokenizer.json nor tokenizer.model"));
        assertThrows(NoSuchFileException.class, () -> Tokenizers.load(tmp.resolve("nope.model")));
    }

    // ---------------------------------------------------------------- SentencePiece protobufs written by hand

    private static void varint(ByteArrayOutputStream o, long v) {
        while ((v & ~0x7fL) != 0) {
            o.write((int) (v & 0x7f) | 0x80);
            v >>>= 7;
        }
        o.write((int) v);
    }

    private static void field(ByteArrayOutputStream o, int f, byte[] body) {
        varint(o, f << 3 | 2);
        varint(o, body.length);
        o.writeBytes(body);
    }

    private static byte[] piece(String p, int type) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        field(o, 1, p.getBytes(StandardCharsets.UTF_8));
        varint(o, 3 << 3);
        varint(o, type);
        return o.toByteArray();
    }

    /** Where the last {@link #model}'s normalizer_spec field begins (everything before it is a complete message). */
    private int normalizerAt;

    private Path model(String name, int modelType, byte[] charsmap) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        field(o, 1, piece("<unk>", 2));
        field(o, 1, piece("a", 1));
        ByteArrayOutputStream trainer = new ByteArrayOutputStream();
        varint(trainer, 3 << 3);
        varint(trainer, modelType);
        field(o, 2, trainer.toByteArray());
        normalizerAt = o.size();
        ByteArrayOutputStream norm = new ByteArrayOutputStream();
        field(norm, 1, "nmt_nfkc".getBytes(StandardCharsets.UTF_8));
        if (charsmap != null) field(norm, 2, charsmap);
        field(o, 3, norm.toByteArray());
        Path p = tmp.resolve(name);
        Files.write(p, o.toByteArray());
        return p;
    }

    @Test
    void sentencePieceProblems() throws Exception {
        String uni = fails(model("uni.model", 1, null)).getMessage();
        assertTrue(uni.contains("Unigram") && uni.contains("supported:"), uni);
        String nfkc = fails(model("nfkc.model", 2, new byte[]{1, 2, 3, 4, 5})).getMessage();
        assertTrue(nfkc.contains("charsmap") && nfkc.contains("nmt_nfkc"), nfkc);
        Tokenizer ok = Tokenizers.load(model("ok.model", 2, null));
        assertArrayEquals(new int[]{0, 1, 1}, ok.encode("aa"), "'▁' is unknown here, then two a's");
        byte[] good = Files.readAllBytes(tmp.resolve("ok.model"));
        // A protobuf has no length of its own, so a file cut where a top-level field ends is a smaller, well-formed
        // message: it must load when what is left is a whole model (here: the cut before normalizer_spec, whose
        // absent fields take the values written), and every other cut must fail with an IOException naming the file.
        int loaded = 0;
        for (int cut = 1; cut < good.length; cut++) {
            Path p = tmp.resolve("cut.model");
            Files.write(p, java.util.Arrays.copyOf(good, cut));
            if (cut == normalizerAt) {
                assertArrayEquals(ok.encode("aa"), Tokenizers.load(p).encode("aa"), "cut " + cut + " is the model without normalizer_spec");
                loaded++;
                continue;
            }
            try {
                Tokenizers.load(p);
                fail("a file cut to " + cut + " of " + good.length + " bytes loaded");
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("cut.model"), expected.getMessage());
            }
        }
        assertEquals(1, loaded);
    }
}
