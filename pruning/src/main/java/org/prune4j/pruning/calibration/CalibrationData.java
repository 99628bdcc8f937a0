package org.prune4j.pruning.calibration;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.data.Windows;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.pruning.PruningException;

/**
 * Calibration windows, built by io's text protocol: a token file ({@code .json} array, {@code .bin} uint16,
 * {@code .i32.bin} int32) is used as is; any other file is text, encoded whole with BOS once, or split at
 * {@code --doc-separator} with BOS per document. Then N windows of L tokens, the first ones or random (seeded).
 */
public final class CalibrationData {
    private CalibrationData() {}

    /** How windows are drawn from the token stream. */
    public enum Sampling {
        /** The first N non-overlapping windows (what the e2e comparison uses: reproducible by anyone). */
        FIRST,
        /** N windows at uniformly random starts from a seeded generator (the Wanda/SparseGPT authors' C4 sampling). */
        RANDOM;

        /** "first" or "random". */
        public static Sampling parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "first" -> FIRST;
                case "random" -> RANDOM;
                default -> throw new PruningException("--calib-sampling must be first or random, got '" + s + "'");
            };
        }
    }

    /** True for the file names io reads as token ids rather than text. */
    public static boolean isTokenFile(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".json") || n.endsWith(".bin");
    }

    /** The token stream of {@code file}; {@code tok} encodes text files (BOS as io's protocol says). */
    public static int[] tokens(Path file, Tokenizer tok, String docSeparator, int vocabSize) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        int[] ids;
        if (isTokenFile(file)) {
            ids = TokenData.load(file);
        } else {
            if (tok == null) throw new PruningException(file + ": a text file needs the model's tokenizer, and the model folder has none");
            ids = TokenData.fromText(file, tok, docSeparator, true);
        }
        try {
            TokenData.checkIds(ids, vocabSize, file.toString());
        } catch (IllegalArgumentException e) {
            throw new PruningException(e.getMessage());
        }
        int content = 0;
        for (int id : ids) if (tok == null || id != tok.bosId()) content++;
        if (content == 0) throw new PruningException(file + ": the calibration data is empty (no tokens besides BOS)");
        return ids;
    }

    /** {@code samples} windows of {@code seqLen} tokens; a stream too short for them is an error naming {@code source}. */
    public static int[][] windows(int[] tokens, int samples, int seqLen, Sampling sampling, long seed, String source) {
        if (samples < 1) throw new PruningException("--calib-samples must be at least 1, got " + samples);
        if (seqLen < 2) throw new PruningException("--seq-len must be at least 2, got " + seqLen);
        try {
            return switch (sampling) {
                case FIRST -> Windows.first(tokens, samples, seqLen, source);
                case RANDOM -> Windows.random(tokens, samples, seqLen, seed, source);
            };
        } catch (IllegalArgumentException e) {
            throw new PruningException(e.getMessage() + " (calibration: --calib-samples " + samples + " --seq-len " + seqLen + ")");
        }
    }
}
