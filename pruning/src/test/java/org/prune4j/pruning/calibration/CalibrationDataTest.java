package org.prune4j.pruning.calibration;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.PruningException;

class CalibrationDataTest {
    @TempDir Path dir;

    @Test
    void tokenFilesAreUsedAsIs() throws Exception {
        Path f = dir.resolve("ids.json");
        Files.writeString(f, "[1, 5, 6, 7, 8, 9, 10, 11]");
        int[] ids = CalibrationData.tokens(f, null, null, 32);
        assertArrayEquals(new int[] {1, 5, 6, 7, 8, 9, 10, 11}, ids);
        int[][] w = CalibrationData.windows(ids, 2, 4, CalibrationData.Sampling.FIRST, 0, f.toString());
        assertArrayEquals(new int[] {8, 9, 10, 11}, w[1]);
        int[][] r1 = CalibrationData.windows(ids, 3, 4, CalibrationData.Sampling.RANDOM, 7, "x");
        int[][] r2 = CalibrationData.windows(ids, 3, 4, CalibrationData.Sampling.RANDOM, 7, "x");
        assertArrayEquals(r1, r2);
    }

    @Test
    void idsOutsideTheVocabularyAndShortStreamsAreErrorsNamingTheFile() throws Exception {
        Path f = dir.resolve("ids.json");
        Files.writeString(f, "[1, 5, 99]");
        PruningException e = assertThrows(PruningException.class, () -> CalibrationData.tokens(f, null, null, 32));
        assertTrue(e.getMessage().contains("ids.json") && e.getMessage().contains("99"), e.getMessage());
        e = assertThrows(PruningException.class, () -> CalibrationData.windows(new int[10], 4, 4, CalibrationData.Sampling.FIRST, 0, "calib.txt"));
        assertTrue(e.getMessage().contains("calib.txt") && e.getMessage().contains("10 tokens"), e.getMessage());
        assertThrows(PruningException.class, () -> CalibrationData.windows(new int[10], 0, 4, CalibrationData.Sampling.FIRST, 0, "x"));
    }

    @Test
    void textIsEncodedWithBosAndEmptyTextIsRefused() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Tokenizer tok = Tokenizers.load(SharedData.resolve("models/stories260K").orElseThrow());
        Path t = dir.resolve("calib.txt");
        Files.writeString(t, "Once upon a time there was a cat.");
        int[] ids = CalibrationData.tokens(t, tok, null, tok.vocabSize());
        assertEquals(tok.bosId(), ids[0]);
        assertTrue(ids.length > 5);
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "  \n ");
        PruningException e = assertThrows(PruningException.class, () -> CalibrationData.tokens(empty, tok, "<|endoftext|>", tok.vocabSize()));
        assertTrue(e.getMessage().contains("empty.txt"), e.getMessage());
    }
}
