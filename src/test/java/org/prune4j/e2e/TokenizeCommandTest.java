package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.cli.Main;
import org.prune4j.io.SharedData;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.json.Json;
import org.prune4j.io.tokenizer.Tokenizers;

/** {@code prune4j tokenize} end to end: the ids file, the JSON report, --no-bos, and failures. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    /** Runs the CLI, returning {exit code, stdout, stderr}. */
    static Object[] run(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true));
        System.setErr(new PrintStream(e, true));
        try {
            int code = Main.run(args);
            return new Object[]{code, o.toString(), e.toString()};
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void tokenizesStoriesLikeTheLibraryDoes() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path root = SharedData.root().get();
        Path model = root.resolve("models/stories260K"), text = root.resolve("data/text/tinystories-sample.txt");
        Path ids = tmp.resolve("ids.json");
        Object[] r = run("tokenize", "--tokenizer", model.toString(), "--text", text.toString(),
                "--doc-separator", "<|endoftext|>", "--out", ids.toString(), "--json");
        assertEquals(0, r[0], () -> "stderr: " + r[2]);
        String[] lines = ((String) r[1]).strip().split("\n");
        Map<String, Object> report = Json.parseObject(lines[lines.length - 1], true);
        int[] written = TokenData.load(ids);
        int[] expected = TokenData.fromText(text, Tokenizers.load(model), "<|endoftext|>", true);
        assertArrayEquals(expected, written);
        assertEquals((long) written.length, report.get("tokens"));
        assertTrue(((Number) report.get("mb_per_s")).doubleValue() > 0 && report.containsKey("seconds"));
        assertEquals(5, java.util.Arrays.stream(written).filter(i -> i == 1).count(), "one BOS per story");

        Object[] noBos = run("tokenize", "--tokenizer", model.resolve("tokenizer.model").toString(), "--text", text.toString(),
                "--no-bos", "--out", ids.toString());
        assertEquals(0, noBos[0], () -> "stderr: " + noBos[2]);
        assertTrue(((String) noBos[1]).contains("MB/s"));
        int[] whole = TokenData.load(ids);
        assertNotEquals(1, whole[0], "--no-bos");
        assertEquals(Files.readString(text), Tokenizers.load(model).decode(whole), "whole-file mode keeps the text (it has no extra spaces to collapse)");
        List<Path> leftovers = Files.list(tmp).filter(p -> p.getFileName().toString().contains(".tmp")).toList();
        assertTrue(leftovers.isEmpty(), "no temporary files left: " + leftovers);
    }

    @Test
    void failuresNameTheFile() throws Exception {
        Path text = tmp.resolve("t.txt");
        Files.writeString(text, "hello");
        Path badTok = tmp.resolve("tokenizer.json");
        Files.writeString(badTok, "{\"model\": 1}");
        Object[] r = run("tokenize", "--tokenizer", badTok.toString(), "--text", text.toString(), "--out", tmp.resolve("o.json").toString());
        assertEquals(1, r[0]);
        assertTrue(((String) r[2]).contains("tokenizer.json"), (String) r[2]);
        assertFalse(Files.exists(tmp.resolve("o.json")));

        Object[] missing = run("tokenize", "--tokenizer", tmp.resolve("nope").toString(), "--text", text.toString(), "--out", tmp.resolve("o.json").toString());
        assertEquals(1, missing[0]);
        assertTrue(((String) missing[2]).contains("nope"), (String) missing[2]);

        Object[] usage = run("tokenize", "--text", text.toString());
        assertEquals(2, usage[0]);
    }
}
