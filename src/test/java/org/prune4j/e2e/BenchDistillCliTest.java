package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.prune4j.io.json.Json;

/** bench distill runs a distill step on random models of the asked shapes and reports its figures (speed itself is not tested). */
class BenchDistillCliTest {
    @Test
    void reportsThroughputAndTheShapesItRan() throws Exception {
        Cli r = Cli.run("bench", "distill", "--hidden", "32", "--layers", "1", "--teacher-layers", "2", "--heads", "4", "--kv-heads", "2",
                "--intermediate", "64", "--vocab", "50", "--batch", "2", "--seq-len", "16", "--runs", "1", "--warmup-seconds", "0", "--threads", "2", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> j = Json.parseObject(r.lastLine(), false);
        // embedding 50x32 (tied) + final norm 32, and per layer 2 norms of 32, q/o 32x32, k/v 16x32, gate/up/down 64x32
        long perLayer = 2 * 32 + 2 * 32 * 32 + 2 * 16 * 32 + 3 * 64 * 32, base = 50 * 32 + 32;
        assertEquals(base + perLayer, ((Number) j.get("student_parameters")).longValue());
        assertEquals(base + 2 * perLayer, ((Number) j.get("teacher_parameters")).longValue());
        assertEquals(2L * 16, ((Number) j.get("batch")).longValue() * ((Number) j.get("seq_len")).longValue());
        for (String k : new String[] {"tokens_per_s", "forward_ms", "backward_ms", "optimizer_ms"})
            assertTrue(((Number) j.get(k)).doubleValue() > 0, k + " in " + r.lastLine());

        assertEquals(2, Cli.run("bench", "distill", "--hidden", "30", "--heads", "4").code());
    }
}
