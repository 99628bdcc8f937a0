package org.prune4j.io.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/** Hugging Face tokenizer.json (being written: this first version refuses every file with a clear message). */
public final class HfTokenizer {
    private HfTokenizer() {}

    public static Tokenizer load(Path file) throws IOException {
        throw new TokenizerFormatException(file, "tokenizer.json support is not in this build yet; use tokenizer.model");
    }
}
