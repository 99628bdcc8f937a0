package org.prune4j.io.tokenizer;

import static org.junit.jupiter.api.Assertions.*;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/**
 * Hand-made tokenizer.json files covering each flavour real models ship (Llama-3, Qwen2, Llama-2 legacy, Metaspace
 * "first"/"always") against ids and decoded text from Hugging Face tokenizers 0.21 (see src/test/golden-tools).
 */
class HfGoldenTest {
    static Path resource(String name) throws URISyntaxException {
        return Path.of(HfGoldenTest.class.getResource("/tokenizers/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3-style", "qwen2-style", "llama2-style", "metaspace-first", "metaspace-always", "gpt2"})
    @SuppressWarnings("unchecked")
    void matchesTokenizersIdForIdAndDecodes(String name) throws Exception {
        Path tokFile;
        if (name.equals("gpt2")) {
            Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
            tokFile = SharedData.root().get().resolve("data/tokenizers/gpt2/tokenizer.json");
        } else {
            tokFile = resource(name + ".json");
        }
        Tokenizer tok = Tokenizers.load(tokFile);
        Map<String, Object> golden = Json.parseObject(Files.readString(resource(name + ".golden.json")), false);
        List<Object> cases = (List<Object>) golden.get("cases");
        List<String> failures = new ArrayList<>();
        for (Object o : cases) {
            Map<String, Object> c = (Map<String, Object>) o;
            String text = (String) c.get("text");
            int[] want = ints(c.get("ids"));
            int[] got = tok.encode(text);
            if (!java.util.Arrays.equals(want, got)) {
                failures.add("encode " + Json.write(text) + "\n   want " + java.util.Arrays.toString(want) + "\n   got  " + java.util.Arrays.toString(got));
                continue;
            }
            int[] withSpecial = ints(c.get("ids_with_special"));
            if (!java.util.Arrays.equals(withSpecial, tok.encodeWithBos(text))) {
                failures.add("with BOS " + Json.write(text) + ": want " + java.util.Arrays.toString(withSpecial));
            }
            String decoded = tok.decode(want);
            if (!decoded.equals(c.get("decoded"))) {
                failures.add("decode " + Json.write(text) + ": want " + Json.write(c.get("decoded")) + " got " + Json.write(decoded));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + cases.size() + " cases differ:\n" + String.join("\n", failures));
        assertTrue(cases.size() > 100);
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(x -> ((Long) x).intValue()).toArray();
    }
}
