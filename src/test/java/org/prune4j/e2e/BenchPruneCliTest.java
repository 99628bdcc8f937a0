package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.json.Json;

/** {@code bench prune} on a tiny synthetic model: the report's fields, and nothing left behind. */
class BenchPruneCliTest {
    @TempDir Path tmp;

    @Test
    void reportsSpeedAndMemoryAndCleansUp() throws Exception {
        for (String method : new String[] {"wanda", "sparsegpt"}) {
            Cli r = Cli.run("bench", "prune", "--method", method, "--hidden", "128", "--layers", "2", "--vocab", "256", "--calib-samples", "2",
                    "--seq-len", "16", "--dtype", "bf16", "--dir", tmp.toString(), "--json");
            assertEquals(0, r.code(), r.err());
            Map<String, Object> j = Json.parseObject(r.lastLine(), false);
            assertEquals(0.5, ((Number) j.get("sparsity")).doubleValue(), 1e-9);
            assertEquals("BF16", j.get("dtype"));
            assertTrue(((Number) j.get("seconds_per_billion")).doubleValue() > 0);
            long linear = ((Number) j.get("linear_params")).longValue();
            assertEquals(2L * (128 * 128 * 2 + 2 * 64 * 128 + 3 * 128 * 256), linear, "q,o 128x128; k,v 64x128 (2 query heads of 64 share 1); gate, up, down 128x256");
            for (String k : new String[] {"peak_rss_bytes", "peak_rss_anon_bytes", "max_heap_bytes", "model_f32_bytes"})
                assertTrue(((Number) j.get(k)).longValue() > 0, k);
        }
        try (var files = Files.list(tmp)) {
            assertEquals(0, files.count(), "the synthetic model and its pruned copy are deleted");
        }
    }
}
