package org.prune4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Copies a tokenizer into a model folder being written, so the output loads like any Hugging Face folder. */
final class TokenizerFiles {
    private TokenizerFiles() {}

    /** The tokenizer files Hugging Face folders carry, in the order they are looked for. */
    static final String[] NAMES = {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"};

    /** Copies {@code tokenizer} (a folder holding tokenizer files, or one tokenizer file) into {@code dir}. */
    static void copy(Path tokenizer, Path dir) throws IOException {
        if (Files.isDirectory(tokenizer)) {
            boolean any = false;
            for (String f : NAMES) {
                Path p = tokenizer.resolve(f);
                if (Files.isRegularFile(p)) {
                    Files.write(dir.resolve(f), Files.readAllBytes(p)); // a plain writable copy, whatever the source's mode
                    any |= f.startsWith("tokenizer.");
                }
            }
            if (!any) throw new IOException(tokenizer + ": no tokenizer.json or tokenizer.model to copy");
        } else {
            boolean json = tokenizer.getFileName().toString().endsWith(".json") || Files.readString(tokenizer.toAbsolutePath(), java.nio.charset.StandardCharsets.ISO_8859_1).stripLeading().startsWith("{");
            Files.write(dir.resolve(json ? "tokenizer.json" : "tokenizer.model"), Files.readAllBytes(tokenizer));
        }
    }

    /**
     * Fails unless the two model folders carry the same tokenizer: for each of tokenizer.json and tokenizer.model,
     * present in both with equal bytes or absent in both.
     */
    static void requireSame(Path a, Path b) throws IOException {
        for (String f : new String[] {"tokenizer.json", "tokenizer.model"}) {
            Path pa = a.resolve(f), pb = b.resolve(f);
            boolean ea = Files.isRegularFile(pa), eb = Files.isRegularFile(pb);
            if (ea != eb || (ea && Files.mismatch(pa, pb) != -1))
                throw new IOException("the teacher (" + a + ") and the student (" + b + ") have different tokenizers: " + f
                        + (ea != eb ? " exists in only one of them" : " differs") + "; distillation compares their distributions token by token, so they must share one");
        }
    }
}
