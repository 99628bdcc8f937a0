package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/**
 * Variants of tok512 with the settings real models use (Llama-2's remove_extra_whitespaces=false, no dummy prefix,
 * user-defined / unused / control pieces, no byte fallback) against the sentencepiece library (src/test/golden-tools).
 */
class SentencePieceGoldenTest {
    @ParameterizedTest
    @ValueSource(strings = {"llama-ws", "nodummy", "pieces", "nofallback", "tok512"})
    @SuppressWarnings("unchecked")
    void matchesSentencepieceIdForIdAndDecodes(String name) throws Exception {
        Path model;
        if (name.equals("tok512")) {
            Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
            model = SharedData.root().get().resolve("data/tokenizers/tok512/tokenizer.model");
        } else {
            model = Path.of(getClass().getResource("/sentencepiece/" + name + ".model").toURI());
        }
        Tokenizer tok = Tokenizers.load(model);
        Path golden = Path.of(getClass().getResource("/sentencepiece/" + name + ".golden.json").toURI());
        List<Object> cases = (List<Object>) Json.parseObject(Files.readString(golden), false).get("cases");
        List<String> failures = new ArrayList<>();
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            String text = (String) c.get("text");
            int[] want = HfGoldenTest.ints(c.get("ids"));
            int[] got = tok.encode(text);
            if (!Arrays.equals(want, got)) {
                failures.add("encode " + Json.write(text) + "\n   want " + Arrays.toString(want) + "\n   got  " + Arrays.toString(got));
            } else if (!tok.decode(want).equals(c.get("decoded"))) {
                failures.add("decode " + Json.write(text) + ": want " + Json.write(c.get("decoded")) + " got " + Json.write(tok.decode(want)));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases differ:\n" + String.join("\n", failures));
    }
}
