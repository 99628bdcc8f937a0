package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.cli.BenchOpenCommand;
import org.prune4j.io.json.Json;
import picocli.CommandLine;

/**
 * {@code bench open} runs end to end on a small synthetic checkpoint (one 32 MiB tensor) and cleans up. The numbers
 * themselves are the benchmark's business, not a unit test's; only their presence and sanity are checked.
 */
class BenchOpenE2ETest {
    @TempDir Path dir;

    @Test
    void writesOpensMeasuresAndDeletes() throws IOException {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = new CommandLine(new BenchOpenCommand()).execute("--gb", "0.01", "--dir", dir.toString(), "--json", "--reopens", "2");
        } finally {
            System.setOut(oldOut);
        }
        assertEquals(0, code);
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        Map<String, Object> j = Json.parseObject(lines[lines.length - 1], true);
        assertEquals(1L, j.get("tensors"));
        assertEquals(32L << 20, j.get("read_tensor_bytes"));
        assertTrue(((Number) j.get("file_bytes")).longValue() > 32L << 20);
        assertTrue(((Number) j.get("open_ms_first")).doubleValue() > 0);
        assertTrue(((Number) j.get("full_read_ms")).doubleValue() > 0);
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count(), "the synthetic checkpoint must be deleted");
        }
    }
}
