package org.prune4j.io.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/** A tokenizer file that cannot be used: the message names the file, the problem and, where useful, what is supported. */
public final class TokenizerFormatException extends IOException {
    /** What prune4j reads, appended to "unsupported" messages so users know what would work. */
    public static final String SUPPORTED = "supported: tokenizer.json with a BPE model (byte-level as GPT-2/Llama-3/Qwen2, "
            + "or SentencePiece-style with Metaspace or Replace+Prepend and byte_fallback as Llama-2/Mistral), "
            + "and SentencePiece tokenizer.model files of BPE type with identity normalization";

    public TokenizerFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public TokenizerFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }

    /** An "unsupported" error with the list of supported formats appended. */
    public static TokenizerFormatException unsupported(Path file, String what) {
        return new TokenizerFormatException(file, what + " is not supported (" + SUPPORTED + ")");
    }
}
