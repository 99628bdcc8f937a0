package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;

/** {@code prune --method scop} through the CLI on stories260K: --target, --fdr, and the usage errors of the FDR mode. */
class ScopCliTest {
    Path shared, stories, calib;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        shared = SharedData.root().get();
        stories = shared.resolve("models/stories260K");
        calib = shared.resolve("data/text/tinystories-train-2mib.txt");
    }

    private String[] args(Path out, String... extra) {
        String[] base = {"prune", "--model", stories.toString(), "--method", "scop", "--calib", calib.toString(), "--calib-samples", "8",
                "--seq-len", "64", "--calib-sampling", "first", "--doc-separator", "<|endoftext|>", "--scop-steps", "2", "--batch", "4",
                "--out", out.toString()};
        String[] all = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void targetAndFdrRuns(@TempDir Path tmp) throws Exception {
        Cli r = Cli.run(args(tmp.resolve("t"), "--target", "intermediate_size=128"));
        assertEquals(0, r.code(), r.err());
        assertEquals(128, ModelConfig.read(tmp.resolve("t")).intermediateSize(0));
        Cli f = Cli.run(args(tmp.resolve("f"), "--fdr", "0.2", "--unit", "heads"));
        assertEquals(0, f.code(), f.err());
        assertTrue(f.err().contains("heads indistinguishable from noise per layer"), f.err());
        assertTrue(Files.exists(tmp.resolve("f/model.safetensors")));
    }

    @Test
    void fdrUsageErrorsNameTheOptionAndWriteNothing(@TempDir Path tmp) {
        String[][] bad = {
                {"--fdr", "1.5", "--unit", "neurons"},
                {"--fdr", "0", "--unit", "neurons"},
                {"--fdr", "0.1"},
                {"--fdr", "0.1", "--unit", "layers"},
                {"--fdr", "0.1", "--unit", "neurons", "--target", "intermediate_size=128"},
                {"--unit", "neurons", "--target", "intermediate_size=128"},
        };
        String[] expect = {"--fdr must lie strictly between 0 and 1", "--fdr must lie strictly between 0 and 1", "--fdr needs --unit",
                "--unit must be neurons, heads or channels", "cannot be combined with --target", "--unit goes with --fdr"};
        for (int i = 0; i < bad.length; i++) {
            Cli r = Cli.run(args(tmp.resolve("out" + i), bad[i]));
            assertEquals(2, r.code(), String.join(" ", bad[i]) + ": " + r.err());
            assertTrue(r.err().contains(expect[i]), r.err());
            assertFalse(Files.exists(tmp.resolve("out" + i)));
        }
        String[] other = args(tmp.resolve("m"), "--fdr", "0.1", "--unit", "neurons");
        other[4] = "minitron";
        Cli r = Cli.run(other);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("belong to --method scop"), r.err());
    }
}
