package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;

/**
 * {@code compress} killed for real (a child JVM, {@code destroyForcibly}) during the search and again during the
 * final distillation: each rerun continues where the last checkpoint or candidate row left it, not from zero, and
 * the model it writes has the bytes of an uninterrupted run's.
 */
class CompressKillTest {
    @TempDir Path tmp;

    /** The command in a child JVM with this JVM's java, class path and module flags; stderr goes to {@code err}. */
    static Process start(Path err, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "org.prune4j.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    String[] args(Path out, Path work) {
        Path s = SharedData.root().get();
        String valid = s.resolve("data/text/tinystories-valid-201.txt").toString();
        return new String[] {"compress", "--model", s.resolve("models/stories260K").toString(), "--params", "0.6", "--calib", valid, "--data", valid, "--eval", valid,
                "--doc-separator", "<|endoftext|>", "--seq-len", "32", "--batch", "2", "--calib-samples", "4", "--eval-windows", "4", "--candidates", "2",
                "--search-steps", "6", "--final-steps", "8", "--checkpoint-every", "1", "--lr", "1e-3", "--threads", "1", "--out", out.toString(), "--work", work.toString()};
    }

    /** Runs to the end; returns stderr. */
    String finish(Path out, Path work, String name) throws Exception {
        Path err = tmp.resolve(name + ".err");
        Process p = start(err, args(out, work));
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), name + " did not finish");
        String e = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), e);
        return e;
    }

    /** Starts a run and kills it as soon as {@code marker} exists; false when the run ended first. */
    boolean killWhen(Path out, Path work, Path marker, String name) throws Exception {
        Process p = start(tmp.resolve(name + ".err"), args(out, work));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!Files.exists(marker) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        boolean killed = p.isAlive();
        p.destroyForcibly();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertTrue(Files.exists(marker), name + ": " + marker + " never appeared; stderr: " + Files.readString(tmp.resolve(name + ".err")));
        return killed;
    }

    @Test
    void killedDuringTheSearchAndDuringTheFinalRunItContinuesAndWritesTheUninterruptedBytes() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path outA = tmp.resolve("a"), workA = tmp.resolve("a.work");
        finish(outA, workA, "straight");

        Path out = tmp.resolve("b"), work = tmp.resolve("b.work");
        // first run: killed inside candidate 2, at its first checkpoint (candidate 1's row exists by then)
        assertTrue(killWhen(out, work, work.resolve("candidate-1.ckpt"), "kill1"), "the run ended before it could be killed");
        assertTrue(Files.exists(work.resolve("candidate-0.json")));
        assertFalse(Files.exists(work.resolve("candidate-1.json")), "killed during the search, before candidate 2 ended");
        assertFalse(Files.exists(out));

        // second run: continues with candidate 2; killed again once the final run has a checkpoint
        assertTrue(killWhen(out, work, work.resolve("final.ckpt"), "kill2"), "the second run ended before it could be killed");
        String e2 = Files.readString(tmp.resolve("kill2.err"));
        assertTrue(e2.contains("candidate 1/2 (") && e2.contains("done earlier"), e2);
        assertFalse(e2.contains("candidate 1/2 step"), "candidate 1 was not trained again: " + e2);
        assertTrue(e2.contains("dense scores read from"), "the dense model was not scored again: " + e2);
        assertTrue(e2.matches("(?s).*compress: candidate 2/2: resumed at step [1-6] of 6 from .*"), "candidate 2 continued mid-way: " + e2);
        assertFalse(Files.exists(out));

        // third run: both candidates kept, the final run continues from its checkpoint
        String e3 = finish(out, work, "resumed");
        assertTrue(e3.contains("candidate 1/2 (") && e3.contains("candidate 2/2 (") && !e3.contains("candidate 2/2 step"), e3);
        assertTrue(e3.matches("(?s).*compress: final: resumed at step [1-8] of 8 from .*"), e3);
        assertFalse(e3.contains("final step 1/8"), "the final run did not start over: " + e3);
        assertArrayEquals(Files.readAllBytes(outA.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model.safetensors")));
        assertEquals(Files.readString(outA.resolve("compress/losses.csv")), Files.readString(out.resolve("compress/losses.csv")));
    }
}
