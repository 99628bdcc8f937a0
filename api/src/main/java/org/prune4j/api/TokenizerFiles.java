package org.prune4j.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tokenizer files of a model folder: copied into a folder being written (so it loads like any Hugging Face folder), compared between teacher and student. */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    /** The tokenizer files Hugging Face folders carry, in the order they are looked for. */
    static final String[] NAMES = {"tokenizer.json", "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"};

    /**
     * Copies {@code tokenizer} (a folder holding tokenizer files, or one tokenizer file) into {@code dir}.
     *
     * @param tokenizer a model or tokenizer folder, or a tokenizer.json / tokenizer.model file
     * @param dir the folder being written
     * @throws IOException when the folder holds no tokenizer, or on a read or write failure
     */
    public static void copy(Path tokenizer, Path dir) throws IOException {
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
     *
     * @param a the teacher's folder
     * @param b the student's folder
     * @throws IOException naming the file that differs, or on a read failure
     */
    public static void requireSame(Path a, Path b) throws IOException {
        for (String f : new String[] {"tokenizer.json", "tokenizer.model"}) {
            Path pa = a.resolve(f), pb = b.resolve(f);
            boolean ea = Files.isRegularFile(pa), eb = Files.isRegularFile(pb);
            if (ea != eb || (ea && Files.mismatch(pa, pb) != -1))
                throw new IOException("the teacher (" + a + ") and the student (" + b + ") have different tokenizers: " + f
                        + (ea != eb ? " exists in only one of them" : " differs") + "; distillation compares their distributions token by token, so they must share one");
        }
    }
}
