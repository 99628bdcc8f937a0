package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** {@code compress} on stories260K with a few steps: resume per candidate gives the same bytes; bad budgets are refused with the range. */
class CompressCliTest {
    @TempDir Path tmp;
    Path stories, valid;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        stories = SharedData.root().get().resolve("models/stories260K");
        valid = SharedData.root().get().resolve("data/text/tinystories-valid-201.txt");
    }

    Cli compress(Path out, Path work, String params, String... extra) {
        List<String> a = new ArrayList<>(List.of("compress", "--model", stories.toString(), "--params", params, "--calib", valid.toString(), "--data", valid.toString(),
                "--eval", valid.toString(), "--doc-separator", "<|endoftext|>", "--seq-len", "32", "--batch", "2", "--calib-samples", "4", "--eval-windows", "4",
                "--candidates", "2", "--search-steps", "2", "--final-steps", "3", "--lr", "1e-3", "--threads", "2", "--json", "--out", out.toString(), "--work", work.toString()));
        a.addAll(List.of(extra));
        return Cli.run(a.toArray(String[]::new));
    }

    @Test
    void aRunStoppedAfterItsFirstCandidateContinuesWithTheNextAndWritesTheSameBytes() throws Exception {
        Path outA = tmp.resolve("a"), workA = tmp.resolve("a.work");
        Cli a = compress(outA, workA, "0.6");
        assertEquals(0, a.code(), a.err());
        Map<String, Object> r = Json.parseObject(a.lastLine(), false);
        long budget = (Long) r.get("budget"), best = (Long) r.get("best_params");
        assertTrue(Math.abs(best - budget) <= 0.03 * budget, r.toString());
        for (String f : List.of("config.json", "model.safetensors", "compress/plan.json", "compress/candidates.csv", "compress/candidates.json", "compress/losses.csv"))
            assertTrue(Files.isRegularFile(outA.resolve(f)), f);
        assertTrue(Files.isRegularFile(workA.resolve("candidate-1.json")));

        assertTrue(Files.isRegularFile(workA.resolve("scores.json")));
        assertFalse(Files.exists(workA.resolve("final.ckpt")) || Files.exists(workA.resolve("candidate-1.ckpt")), "checkpoints are removed once their result is kept");

        // the state a run killed after candidate 1 leaves: its key and the first result only, and scores whose key
        // does not match (as if the model had changed under the same path): they are computed again, not trusted
        Path outB = tmp.resolve("b"), workB = tmp.resolve("b.work");
        Files.createDirectories(workB);
        Files.copy(workA.resolve("run.json"), workB.resolve("run.json"));
        Files.copy(workA.resolve("candidate-0.json"), workB.resolve("candidate-0.json"));
        Files.writeString(workB.resolve("scores.json"), Files.readString(workA.resolve("scores.json")).replace("\"model_fingerprint\":\"sha256:", "\"model_fingerprint\":\"sha256:0"));
        Cli b = compress(outB, workB, "0.6");
        assertEquals(0, b.code(), b.err());
        assertTrue(b.err().contains("scores.json: scored with") && b.err().contains("scoring again"), b.err());
        assertTrue(b.err().contains("candidate 1/2") && b.err().contains("done earlier"), b.err());
        assertFalse(b.err().contains("candidate 1/2 step"), "candidate 1 was not trained again");
        assertTrue(b.err().contains("candidate 2/2 step"), b.err());
        assertArrayEquals(Files.readAllBytes(outA.resolve("model.safetensors")), Files.readAllBytes(outB.resolve("model.safetensors")));
        assertEquals(Files.readString(outA.resolve("compress/candidates.csv")), Files.readString(outB.resolve("compress/candidates.csv")));

        // a rerun of a finished run reads the dense scores instead of scoring again
        Cli again = compress(tmp.resolve("a2"), workA, "0.6");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("dense scores read from") && !again.err().contains("scoring with minitron"), again.err());
        assertArrayEquals(Files.readAllBytes(outA.resolve("model.safetensors")), Files.readAllBytes(tmp.resolve("a2/model.safetensors")));

        // another run's work folder is refused, not mixed in
        Cli other = compress(tmp.resolve("c"), workA, "0.6", "--seed", "7");
        assertEquals(2, other.code());
        assertTrue(other.err().contains("holds another run's results"), other.err());
        assertFalse(Files.exists(tmp.resolve("c")));
    }

    @Test
    void aBudgetNoCandidateReachesOrAboveTheModelIsRefusedWithTheReachableRangeAndNoOutput() {
        Path out = tmp.resolve("bad"), work = tmp.resolve("bad.work");
        Cli low = compress(out, work, "0.1");
        assertEquals(2, low.code(), low.err());
        assertTrue(low.err().contains("smallest reachable size is") && low.err().contains("and the largest"), low.err());
        Cli high = compress(out, work, "1M");
        assertEquals(2, high.code(), high.err());
        assertTrue(high.err().contains("not below the model's 260,032 parameters") && high.err().contains("smallest reachable size"), high.err());
        Cli depth = compress(out, work, "0.6", "--depth-only");
        assertEquals(2, depth.code(), depth.err());
        assertTrue(depth.err().contains("--axes depth"), depth.err());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(work), "bad input leaves no work folder either");
    }
}
