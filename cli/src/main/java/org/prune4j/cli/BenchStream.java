package org.prune4j.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.bench.StreamBench;
import org.prune4j.tensor.Kernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code prune4j bench stream}: memory read and copy bandwidth, the ceiling of GEMV and other memory-bound kernels. */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = "Memory bandwidth: read (vector sum) and copy (read + write bytes) in GB/s (JSON: {\"read_gbps\", \"copy_gbps\", ...}).")
public final class BenchStream implements Callable<Integer> {
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;
    @Mixin TimingOptions timing;
    @Spec CommandSpec spec;

    @Option(names = "--mib", defaultValue = "256", description = "Array size in MiB (well above the last-level cache). Default: ${DEFAULT-VALUE}.")
    int mib;

    @Override
    public Integer call() {
        if (mib < 1 || mib > 8191) throw new UsageException(spec.commandLine(), "bench stream: --mib must be between 1 and 8191, got " + mib);
        Kernels kernels = device.kernels();
        StreamBench.Result r = StreamBench.run(kernels, (long) mib << 20, timing.timing(spec));
        common.emit(line(r), json(r));
        return 0;
    }

    static String line(StreamBench.Result r) {
        return String.format("stream read %.1f GB/s  copy %.1f GB/s  (%d MiB, %d threads, median of %d)",
                r.readGbps(), r.copyGbps(), r.bytes() >> 20, r.threads(), r.runs());
    }

    static Map<String, Object> json(StreamBench.Result r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("read_gbps", BenchGemm.round(r.readGbps()));
        o.put("copy_gbps", BenchGemm.round(r.copyGbps()));
        o.put("mib", r.bytes() >> 20);
        o.put("threads", r.threads());
        o.put("runs", r.runs());
        return o;
    }
}
