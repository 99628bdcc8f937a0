package org.prune4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.prune4j.io.json.Json;

/** {@code prune4j bench gemm|gemv|stream --json}: the JSON contract, and usage errors exiting with 2. */
class BenchCommandTest {
    private static final String[] QUICK = {"--runs", "2", "--warmup-seconds", "0", "--json"};

    record Run(int code, String out) {}

    private static Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setOut(p);
            int code = Main.run(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    private static Map<String, Object> lastJson(Run r) throws Exception {
        String[] lines = r.out().strip().split("\n");
        return Json.parseObject(lines[lines.length - 1], true);
    }

    private static String[] with(String... args) {
        String[] all = java.util.Arrays.copyOf(args, args.length + QUICK.length);
        System.arraycopy(QUICK, 0, all, args.length, QUICK.length);
        return all;
    }

    @Test
    void gemmJson() throws Exception {
        Run r = run(with("bench", "gemm", "--m", "8", "--n", "9", "--k", "10", "--threads", "1"));
        assertEquals(0, r.code(), r.out());
        Map<String, Object> o = lastJson(r);
        assertTrue(((Number) o.get("gflops")).doubleValue() > 0 && ((Number) o.get("ms")).doubleValue() > 0, o.toString());
        assertEquals(8, ((Number) o.get("m")).intValue());
        assertEquals(9, ((Number) o.get("n")).intValue());
        assertEquals(10, ((Number) o.get("k")).intValue());
        assertEquals(1, ((Number) o.get("threads")).intValue());
    }

    @Test
    void gemvJson() throws Exception {
        Run r = run(with("bench", "gemv", "--n", "16", "--k", "40", "--dtype", "bf16", "--threads", "2"));
        assertEquals(0, r.code(), r.out());
        Map<String, Object> o = lastJson(r);
        assertTrue(((Number) o.get("gbps")).doubleValue() > 0 && ((Number) o.get("gflops")).doubleValue() > 0, o.toString());
        assertEquals("BF16", o.get("dtype"));
        assertEquals(2, ((Number) o.get("threads")).intValue());
    }

    @Test
    void streamJson() throws Exception {
        Run r = run(with("bench", "stream", "--mib", "1"));
        assertEquals(0, r.code(), r.out());
        Map<String, Object> o = lastJson(r);
        assertTrue(((Number) o.get("read_gbps")).doubleValue() > 0 && ((Number) o.get("copy_gbps")).doubleValue() > 0, o.toString());
    }

    @Test
    void badValuesAreUsageErrors() {
        assertEquals(2, run("bench", "gemm", "--m", "0").code());
        assertEquals(2, run("bench", "gemv", "--dtype", "f64").code());
        assertEquals(2, run("bench", "stream", "--runs", "0").code());
        assertEquals(2, run("bench", "gemm", "--m", "x").code());
    }
}
