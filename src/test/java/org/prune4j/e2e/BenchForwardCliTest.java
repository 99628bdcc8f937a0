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

    /**
     * The memory of a 2:4 model by {@code --sparse-kernels}: off holds the dense linear weights (exactly their bytes),
     * on holds one compressed copy and no dense weight (under 0.6 of dense, whichever form this CPU keeps), and auto
     * holds both: dense + the same copy, to the byte.
     */
    @Test
    void sparseKernelsOnHoldsOnlyTheCompressedCopy() throws Exception {
        long off = held("off"), on = held("on"), auto = held("auto");
        // q, k, v, o, gate, up, down of hidden 32, kv 1 x 16, MLP 64, F32
        assertEquals(4L * (32 * 32 + 16 * 32 + 16 * 32 + 32 * 32 + 64 * 32 + 64 * 32 + 32 * 64), off);
        assertTrue(on < 0.6 * off && on > 0.5 * off, "on holds " + on + " of " + off + " dense bytes");
        assertEquals(off + on, auto, "auto: the dense weights and the same compressed copies");
    }

    private static long held(String sparse) throws Exception {
        Cli d = Cli.run("bench", "forward", "--synthetic", "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1",
                "--intermediate", "64", "--vocab", "50", "--decode", "--seq-len", "4", "--decode-steps", "2", "--runs", "1", "--warmup-seconds", "0",
                "--nm", "2:4", "--sparse-kernels", sparse, "--json");
        assertEquals(0, d.code(), d.err());
        Map<String, Object> j = Json.parseObject(d.lastLine(), false);
        assertEquals(sparse.equals("off") ? 0L : 7L, ((Number) j.get("sparse_linears")).longValue(), sparse);
        Map<?, ?> memory = (Map<?, ?>) j.get("memory");
        assertTrue(((Number) memory.get("heap_live_after_setup_bytes")).longValue() > 0 && ((Number) memory.get("pass_peak_heap_bytes")).longValue() > 0);
        return ((Number) memory.get("linear_weights_held_bytes")).longValue();
    }
}
