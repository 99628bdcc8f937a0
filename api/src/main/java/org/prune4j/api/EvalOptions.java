package org.prune4j.api;

import java.nio.file.Path;

/**
 * {@code eval}'s flags, so an application measures perplexity exactly as the command does.
 *
 * @param text the text file ({@code --text})
 * @param docSeparator {@code --doc-separator}; null: the whole file, BOS once
 * @param seqLen tokens per window ({@code --seq-len})
 * @param windows how many windows ({@code --windows}); 0: every whole window
 * @param batch windows per forward pass ({@code --batch})
 */
public record EvalOptions(Path text, String docSeparator, int seqLen, int windows, int batch) {
    /** Checks the flags' rules with the command's messages. */
    public EvalOptions {
        if (text == null) throw new Prune4jException.InvalidOptions("eval needs a text file");
        if (seqLen < 2) throw new Prune4jException.InvalidOptions("--seq-len must be at least 2, got " + seqLen);
        if (windows < 0) throw new Prune4jException.InvalidOptions("--windows must be >= 0, got " + windows);
        if (batch < 1) throw new Prune4jException.InvalidOptions("--batch must be >= 1, got " + batch);
    }

    /**
     * Every whole window of {@code seqLen} tokens of {@code text}, one per forward pass (the CLI's defaults).
     *
     * @param text the text file
     * @param seqLen tokens per window
     * @return the options
     */
    public static EvalOptions of(Path text, int seqLen) {
        return new EvalOptions(text, null, seqLen, 0, 1);
    }
}
