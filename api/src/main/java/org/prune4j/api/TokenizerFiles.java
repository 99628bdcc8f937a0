package org.prune4j.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tokenizer files of a model folder: copied into a folder being written, compared between teacher and student. */
final class TokenizerFiles {
    private TokenizerFiles() {}

    /** The tokenizer files Hugging Face folders carry, in the order they are looked for. */
    static final String[] NAMES = {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"};

    /** Copies the tokenizer files of the model folder {@code model} into {@code dir}; fails when it has no tokenizer. */
    static void copy(Path model, Path dir) throws IOException {
        boolean any = false;
        for (String f : NAMES) {
            Path p = model.resolve(f);
            if (Files.isRegularFile(p)) {
                Files.write(dir.resolve(f), Files.readAllBytes(p)); // a plain writable copy, whatever the source's mode
                any |= f.startsWith("tokenizer.");
            }
        }
        if (!any) throw new IOException(model + ": no tokenizer.json or tokenizer.model to copy");
    }

    /**
     * Fails unless the two model folders carry the same tokenizer: for each of tokenizer.json and tokenizer.model,
     * present in both with equal bytes or absent in both.
     */
    static void requireSame(Path teacher, Path student) throws IOException {
        for (String f : new String[] {"tokenizer.json", "tokenizer.model"}) {
            Path pa = teacher.resolve(f), pb = student.resolve(f);
            boolean ea = Files.isRegularFile(pa), eb = Files.isRegularFile(pb);
            if (ea != eb || (ea && Files.mismatch(pa, pb) != -1))
                throw new IOException("the teacher (" + teacher + ") and the student (" + student + ") have different tokenizers: " + f
                        + (ea != eb ? " exists in only one of them" : " differs") + "; distillation compares their distributions token by token, so they must share one");
        }
    }
}
