package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** {@code scores} and the gradient criteria's options of {@code prune} on stories260K, through the command line. */
class ScoresCliTest {
    Path shared, stories, calib;
    @TempDir Path tmp;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        shared = SharedData.root().get();
        stories = shared.resolve("models/stories260K");
        calib = shared.resolve("data/text/wikitext2-valid.txt");
    }

    @Test
    void scoresWritesEveryCriterionAndComparesThem() throws Exception {
        Path out = tmp.resolve("scores");
        Cli r = Cli.run("scores", "--model", stories.toString(), "--calib", calib.toString(), "--calib-samples", "6", "--seq-len", "32", "--batch", "4",
                "--methods", "taylor,taylor@group-agg=sum,michel,magnitude,random", "--kinds", "head,neuron", "--bootstrap", "3", "--out", out.toString(),
                "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> stats = Json.parseObject(Files.readString(out.resolve("stats.json")), false);
        boolean sawSelf = false;
        for (Object o : (List<?>) stats.get("correlations")) {
            Map<?, ?> c = (Map<?, ?>) o;
            double rho = ((Number) c.get("spearman")).doubleValue(), tau = ((Number) c.get("kendall_tau_b")).doubleValue();
            assertTrue(rho >= -1 && rho <= 1 && tau >= -1 && tau <= 1, c.toString());
            if (c.get("a").equals("taylor") && c.get("b").equals("taylor@group-agg=sum")) {  // the default spelled out: identical scores
                assertEquals(1.0, rho, 1e-12);
                assertEquals(1.0, tau, 1e-12);
                sawSelf = true;
            }
            if (c.get("kind").equals("neuron")) assertFalse(c.get("a").equals("michel") || c.get("b").equals("michel"), "michel scores heads only");
        }
        assertTrue(sawSelf);
        List<?> st = (List<?>) stats.get("stability");
        assertEquals(2 * 2 + 1, st.size(), "taylor twice x (head, neuron) + michel head; magnitude and random read no data");
        for (Object o : st) {
            double p = ((Number) ((Map<?, ?>) o).get("pairwise_overlap")).doubleValue();
            assertTrue(p >= 0 && p <= 1, o.toString());
        }
        // 5 layers x (8 heads + 172 neurons) per head-and-neuron criterion, 8 x 5 heads for michel, plus the header
        List<String> csv = Files.readAllLines(out.resolve("scores.csv"));
        assertEquals("criterion,kind,row,unit,score", csv.get(0));
        assertEquals(1 + 4 * 5 * (8 + 172) + 5 * 8, csv.size());
        Map<String, Object> scores = Json.parseObject(Files.readString(out.resolve("scores.json")), false);
        assertEquals(List.of("taylor", "taylor@group-agg=sum", "michel", "magnitude", "random"), List.copyOf(((Map<?, ?>) scores.get("scores")).keySet()));
    }

    @Test
    void badOptionsAreUsageErrorsAndWriteNothing() throws Exception {
        Path out = tmp.resolve("none");
        String[][] bad = {
                {"scores", "--model", stories.toString(), "--calib", calib.toString(), "--methods", "taylor,nosuch", "--out", out.toString()},
                {"scores", "--model", stories.toString(), "--methods", "michel", "--out", out.toString()},
                {"scores", "--model", stories.toString(), "--calib", calib.toString(), "--kinds", "heads", "--out", out.toString()},
                {"prune", "--model", stories.toString(), "--method", "taylor", "--taylor", "third", "--target", "num_attention_heads=4", "--calib", calib.toString(), "--out", out.toString()},
                {"prune", "--model", stories.toString(), "--method", "taylor", "--iterative", "2", "--target", "num_attention_heads=4", "--calib", calib.toString(), "--out", out.toString()},
                {"prune", "--model", stories.toString(), "--method", "michel", "--iterative", "2", "--target", "intermediate_size=128", "--calib", calib.toString(), "--out", out.toString()},
        };
        String[] says = {"nosuch", "--calib", "heads", "third", "--iterative is an option of --method michel", "num_attention_heads"};
        for (int i = 0; i < bad.length; i++) {
            Cli r = Cli.run(bad[i]);
            assertEquals(2, r.code(), String.join(" ", bad[i]) + "\n" + r.err());
            assertTrue(r.err().contains(says[i]), r.err());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void iterativeMichelKeepsOneHeadPerKvGroup() throws Exception {
        Path out = tmp.resolve("michel-it");
        Cli r = Cli.run("prune", "--model", stories.toString(), "--method", "michel", "--iterative", "2", "--target", "num_attention_heads=4",
                "--calib", calib.toString(), "--calib-samples", "4", "--seq-len", "32", "--calib-sampling", "first", "--batch", "2",
                "--out", out.toString(), "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> cfg = Json.parseObject(Files.readString(out.resolve("config.json")), false);
        assertEquals(4, ((Number) cfg.get("num_attention_heads")).intValue());
        assertEquals(4, ((Number) cfg.get("num_key_value_heads")).intValue());
    }
}
