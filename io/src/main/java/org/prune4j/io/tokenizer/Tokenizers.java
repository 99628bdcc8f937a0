package org.prune4j.io.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Opens whatever tokenizer a user points at: a tokenizer.json, a tokenizer.model, or a model folder holding one. */
public final class Tokenizers {
    private Tokenizers() {}

    /**
     * The split regexes (as tokenizer.json writes them) whose byte-level BPE tokenizers prune4j encodes with a
     * dedicated scanner, by family: exporters map them to other runtimes' pre-tokenizer names.
     */
    public static final java.util.Map<String, String> KNOWN_SPLIT_REGEXES = java.util.Map.of(
            "gpt2", SplitScanner.GPT2, "llama3", SplitScanner.LLAMA3, "qwen2", SplitScanner.QWEN2);

    /**
     * Loads {@code path}: a tokenizer.json (Hugging Face tokenizers), a SentencePiece model (tokenizer.model or any
     * file in that format), or a folder, where tokenizer.json is preferred over tokenizer.model.
     * Errors are {@link IOException}s naming the file and the problem.
     */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            Path json = path.resolve("tokenizer.json"), model = path.resolve("tokenizer.model");
            if (Files.isRegularFile(json)) return HfTokenizer.load(json);
            if (Files.isRegularFile(model)) return SentencePieceTokenizer.load(model);
            throw new TokenizerFormatException(path, "folder has neither tokenizer.json nor tokenizer.model");
        }
        if (!Files.exists(path)) throw new NoSuchFileException(path.toString());
        if (isJson(path)) return HfTokenizer.load(path);
        return SentencePieceTokenizer.load(path);
    }

    /** tokenizer.json by name, or any file whose first non-blank byte is '{' (protobuf model files never start so). */
    private static boolean isJson(Path p) throws IOException {
        String name = p.getFileName().toString();
        if (name.endsWith(".json")) return true;
        if (name.endsWith(".model")) return false;
        try (var in = Files.newInputStream(p)) {
            int c;
            while ((c = in.read()) == ' ' || c == '\n' || c == '\r' || c == '\t') { /* skip */ }
            return c == '{';
        }
    }
}
