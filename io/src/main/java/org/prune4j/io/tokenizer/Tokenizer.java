package org.prune4j.io.tokenizer;

/**
 * Text ↔ token ids, the contract every model-facing command uses (evaluation, generation, calibration data).
 * Implementations reproduce a reference library id for id: Hugging Face {@code tokenizers} for tokenizer.json,
 * Google's {@code sentencepiece} for tokenizer.model. Instances are immutable and safe to share between threads.
 */
public interface Tokenizer {
    /** Ids of {@code text} as the reference library encodes it without special tokens (no BOS, no EOS). */
    int[] encode(String text);

    /**
     * Text of {@code ids}: special/control tokens (BOS, EOS, ...) decode to nothing, byte tokens are joined into UTF-8,
     * the leading space the encoder added is removed. Ids that name no token decode to nothing.
     */
    String decode(int[] ids);

    /** One more than the largest id this tokenizer can produce. */
    int vocabSize();

    /** Id of the beginning-of-sequence token, -1 if the tokenizer has none. */
    int bosId();

    /** Id of the end-of-sequence token, -1 if the tokenizer has none. */
    int eosId();

    /**
     * Whether a sequence starts with {@link #bosId()} when encoded "with special tokens": SentencePiece models that
     * have a {@code <s>} control piece; tokenizer.json files whose post-processor prepends one.
     */
    boolean addsBos();

    /** The raw vocabulary string of {@code id} (e.g. {@code "▁the"}, {@code "Ġthe"}, {@code "<0x0A>"}); null if none. */
    String piece(int id);

    /** {@link #encode} with {@link #bosId()} prepended when {@link #addsBos()}: the form models are evaluated on. */
    default int[] encodeWithBos(String text) {
        int[] ids = encode(text);
        if (!addsBos() || bosId() < 0) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bosId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }
}
