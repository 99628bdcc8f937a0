package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.json.Json;
import org.prune4j.io.tokenizer.Tokenizers;

/** {@code prune4j tokenize} end to end: the ids file, the JSON report, --no-bos, and failures. */
class TokenizeCommandTest {
    @TempDir
    Path tmp;

    @Test
    @SuppressWarnings("unchecked")
    void tokenizesStoriesLikeTheLibraryDoes() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path root = SharedData.root().get();
        Path model = root.resolve("models/stories260K"), text = root.resolve("data/text/tinystories-sample.txt");
        Path ids = tmp.resolve("ids.json");
        Cli r = Cli.run("tokenize", "--tokenizer", model.toString(), "--text", text.toString(),
                "--doc-separator", "<|endoftext|>", "--out", ids.toString(), "--json");
        assertEquals(0, r.code(), () -> "stderr: " + r.err());
        String[] lines = r.out().strip().split("\n");
        Map<String, Object> report = Json.parseObject(lines[lines.length - 1], true);
        int[] written = TokenData.load(ids);
        int[] expected = TokenData.fromText(text, Tokenizers.load(model), "<|endoftext|>", true);
        assertArrayEquals(expected, written);
        assertEquals((long) written.length, report.get("tokens"));
        assertTrue(((Number) report.get("mb_per_s")).doubleValue() > 0 && report.containsKey("seconds"));
        assertEquals(5, java.util.Arrays.stream(written).filter(i -> i == 1).count(), "one BOS per story");

        Cli noBos = Cli.run("tokenize", "--tokenizer", model.resolve("tokenizer.model").toString(), "--text", text.toString(),
                "--no-bos", "--out", ids.toString());
        assertEquals(0, noBos.code(), () -> "stderr: " + noBos.err());
        assertTrue(noBos.out().contains("MB/s"));
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
        Cli r = Cli.run("tokenize", "--tokenizer", badTok.toString(), "--text", text.toString(), "--out", tmp.resolve("o.json").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("tokenizer.json"), r.err());
        assertFalse(Files.exists(tmp.resolve("o.json")));

        Cli missing = Cli.run("tokenize", "--tokenizer", tmp.resolve("nope").toString(), "--text", text.toString(), "--out", tmp.resolve("o.json").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope"), missing.err());

        Cli usage = Cli.run("tokenize", "--text", text.toString());
        assertEquals(2, usage.code());
    }
}
