package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/** bench forward runs on a real model and a synthetic one and reports its figures (speed itself is not tested). */
class BenchForwardCliTest {
    @Test
    void prefillAndDecodeReportThroughput() throws Exception {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        String model = SharedData.root().get().resolve("models/stories260K").toString();
        Cli p = Cli.run("bench", "forward", "--model", model, "--batch", "2", "--seq-len", "16", "--runs", "1", "--warmup-seconds", "0", "--json");
        assertEquals(0, p.code(), p.err());
        Map<String, Object> j = Json.parseObject(p.lastLine(), false);
        assertEquals("prefill", j.get("mode"));
        assertTrue(((Number) j.get("tokens_per_s")).doubleValue() > 0);

        Cli d = Cli.run("bench", "forward", "--synthetic", "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1",
                "--intermediate", "64", "--vocab", "50", "--decode", "--seq-len", "4", "--decode-steps", "2", "--runs", "1", "--warmup-seconds", "0", "--json");
        assertEquals(0, d.code(), d.err());
        Map<String, Object> dj = Json.parseObject(d.lastLine(), false);
        assertEquals("decode", dj.get("mode"));
        // one decode step reads every linear weight and the head: 4*32*32 - 2*32*16 + 3*32*64 + 50*32 floats
        assertEquals(4L * (4 * 32 * 32 - 2 * 32 * 16 + 3 * 32 * 64 + 50 * 32), ((Number) dj.get("weight_bytes")).longValue());
        assertTrue(((Number) dj.get("fraction_of_bound")).doubleValue() > 0);

        Cli bad = Cli.run("bench", "forward", "--batch", "1");
        assertEquals(2, bad.code());
    }
}
