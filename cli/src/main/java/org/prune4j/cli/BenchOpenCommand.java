package org.prune4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.bench.OpenBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code prune4j bench open}: opening a checkpoint maps it, it does not read it. Writes a synthetic BF16 checkpoint
 * (default 4 GB, streamed), opens it, reads one tensor, and reports the open time and the resident-memory growth.
 */
@Command(name = "open", mixinStandardHelpOptions = true,
        description = "Checkpoint opening: write a synthetic BF16 checkpoint, then time opening it and measure RSS growth after opening and after reading one tensor.")
public final class BenchOpenCommand implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Option(names = "--gb", defaultValue = "4", description = "Size of the synthetic checkpoint in GB (10^9 bytes). Default: ${DEFAULT-VALUE}.")
    double gb;

    @Option(names = "--dir", description = "Folder for the synthetic checkpoint (default: the system temporary folder).")
    Path dir;

    @Option(names = "--checkpoint", description = "Measure this existing .safetensors file, index or model folder instead of writing one.")
    Path checkpoint;

    @Option(names = "--keep", description = "Keep the synthetic checkpoint instead of deleting it.")
    boolean keep;

    @Option(names = "--no-anchor", description = "Skip timing a full read of the file (the anchor measured in the same run).")
    boolean noAnchor;

    @Option(names = "--reopens", defaultValue = "5", description = "Reopens timed for the median. Default: ${DEFAULT-VALUE}.")
    int reopens;

    @Override
    public Integer call() throws Exception {
        if (!(gb > 0) || gb > 1024) throw new UsageException(spec.commandLine(), "bench open: --gb must be in (0, 1024], got " + gb);
        if (reopens < 1) throw new UsageException(spec.commandLine(), "bench open: --reopens must be >= 1, got " + reopens);
        Path where = dir != null ? dir : Path.of(System.getProperty("java.io.tmpdir"));
        if (checkpoint == null && !Files.isDirectory(where)) throw new java.nio.file.NoSuchFileException(where + " (--dir must be an existing folder)");
        if (checkpoint != null && !Files.exists(checkpoint)) throw new java.nio.file.NoSuchFileException(checkpoint.toString());
        OpenBench.Result r = OpenBench.run(where, gb, checkpoint, keep, !noAnchor, reopens, common.log());
        common.emit(OpenBench.report(r), json(r));
        return 0;
    }

    static Map<String, Object> json(OpenBench.Result r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("file", r.file().toString());
        o.put("file_bytes", r.fileBytes());
        o.put("tensors", r.tensors());
        o.put("write_seconds", round(r.writeSeconds()));
        o.put("open_ms_first", round(r.firstOpenMs()));
        o.put("open_ms_median", round(r.medianOpenMs()));
        o.put("reopens", r.openRuns());
        o.put("rss_before_bytes", r.rssBefore());
        o.put("rss_growth_open_bytes", r.openGrowth());
        o.put("rss_growth_read_bytes", r.readGrowth());
        o.put("rss_file_growth_open_bytes", r.openFileGrowth());
        o.put("rss_file_growth_read_bytes", r.readFileGrowth());
        o.put("read_tensor", r.readTensor());
        o.put("read_tensor_bytes", r.readTensorBytes());
        o.put("read_tensor_ms", round(r.readTensorMs()));
        o.put("full_read_ms", r.fullReadMs() < 0 ? null : round(r.fullReadMs()));
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
