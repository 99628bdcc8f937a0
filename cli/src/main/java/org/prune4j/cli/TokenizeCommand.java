package org.prune4j.cli;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.data.TokenData;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prune4j tokenize}: a text file → token ids as a JSON array, with the same rules eval and prune use. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Encode a text file with a model's tokenizer and write the ids as one JSON array.")
public final class TokenizeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "tokenizer.json, tokenizer.model, or a model folder holding one (tokenizer.json preferred).")
    Path tokenizer;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text file to encode.")
    Path text;

    @Option(names = "--doc-separator", paramLabel = "S",
            description = "Split the text into documents at S; each is stripped, empty ones dropped, each encoded on its own (with BOS).")
    String docSeparator;

    @Option(names = "--no-bos", description = "Do not prepend BOS (by default BOS starts the text, or each document, when the tokenizer adds one).")
    boolean noBos;

    @Option(names = "--out", required = true, paramLabel = "IDS.json", description = "Where to write the ids (written atomically).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (docSeparator != null && docSeparator.isEmpty()) throw new IllegalArgumentException("--doc-separator must not be empty");
        if (!Files.exists(text)) throw new NoSuchFileException(text.toString());
        Tokenizer tok = Tokenizers.load(tokenizer);
        long bytes = Files.size(text);
        long cpu0 = processCpuNanos(), t0 = System.nanoTime();
        int[] ids = TokenData.fromText(text, tok, docSeparator, !noBos);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (processCpuNanos() - cpu0) / 1e9;
        double mbPerS = bytes / 1e6 / Math.max(seconds, 1e-9);
        AtomicFiles.write(out, o -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(o, StandardCharsets.US_ASCII), 1 << 16);
            w.write('[');
            for (int i = 0; i < ids.length; i++) {
                if (i > 0) w.write(',');
                w.write(Integer.toString(ids[i]));
            }
            w.write("]\n");
            w.flush();
        });
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("tokens", ids.length);
        result.put("seconds", Math.round(seconds * 1e4) / 1e4);
        result.put("mb_per_s", Math.round(mbPerS * 100) / 100.0);
        // CPU time of the whole process while encoding (JIT and GC threads included): on a shared machine the wall
        // time mostly measures the neighbours, this measures the work
        if (cpuSeconds > 0) result.put("cpu_seconds", Math.round(cpuSeconds * 1e4) / 1e4);
        common.emit(String.format("%,d tokens from %s (%,d bytes) in %.3f s: %.2f MB/s (%.3f s of CPU) -> %s",
                ids.length, text, bytes, seconds, mbPerS, cpuSeconds, out), result);
        return 0;
    }

    /** CPU time used by this process so far, or 0 where the JVM cannot tell. */
    private static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuTime());
        }
        return 0;
    }
}
