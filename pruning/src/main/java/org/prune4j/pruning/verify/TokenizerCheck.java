package org.prune4j.pruning.verify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.CheckpointPruner;

/**
 * The tokenizer of a pruned model must be its parent's. Files with the same bytes pass; files that differ (other
 * tools re-serialise tokenizer.json on save) pass when both load and give the same ids and vocabulary on a probe
 * text; a file the parent has and the pruned model lacks, or the reverse, is a violation.
 */
final class TokenizerCheck {
    private TokenizerCheck() {}

    /** ASCII, digits, punctuation, whitespace runs, accents, CJK and an emoji: the cases BPE pre-tokenizers split differently. */
    static final String PROBE = "Once upon a time, in 2024, a naïve café owner said: \"Don't!\"  \n\tWhy?  東京 → 😀 x=3.14;";

    /** Returns a line for the report's "checked" list. */
    static String check(Path dense, Path pruned, Violations v) throws IOException {
        int same = 0, differ = 0;
        for (String f : CheckpointPruner.TOKENIZER_FILES) {
            Path a = dense.resolve(f), b = pruned.resolve(f);
            boolean ia = Files.isRegularFile(a), ib = Files.isRegularFile(b);
            if (!ia && !ib) continue;
            if (!ib) v.add(b.toString(), Rules.TOKENIZER, "missing: the parent has " + f);
            else if (!ia) v.add(b.toString(), Rules.TOKENIZER, "added: the parent has no " + f);
            else if (Files.mismatch(a, b) == -1) same++;
            else differ++;
        }
        if (same + differ == 0) return "tokenizer (the parent has none)";
        if (differ == 0) return "tokenizer (" + same + " files, same bytes)";
        Tokenizer ta, tb;
        try {
            ta = Tokenizers.load(dense);
            tb = Tokenizers.load(pruned);
        } catch (IOException e) {
            v.add(pruned.toString(), Rules.TOKENIZER, differ + " tokenizer files differ from the parent's and do not load to compare: " + e.getMessage());
            return "tokenizer";
        }
        int[] ia = ta.encode(PROBE), ib = tb.encode(PROBE);
        if (ta.vocabSize() != tb.vocabSize())
            v.add(pruned.toString(), Rules.TOKENIZER, "vocabulary of " + tb.vocabSize() + " tokens, the parent's has " + ta.vocabSize());
        else if (!Arrays.equals(ia, ib) || ta.bosId() != tb.bosId() || ta.eosId() != tb.eosId())
            v.add(pruned.toString(), Rules.TOKENIZER, "encodes the probe text as " + Arrays.toString(ib) + " (bos " + tb.bosId() + ", eos " + tb.eosId()
                    + "), the parent as " + Arrays.toString(ia) + " (bos " + ta.bosId() + ", eos " + ta.eosId() + ")");
        return "tokenizer (" + differ + " files differ in bytes; same vocabulary and ids on a probe text)";
    }
}
