package org.prune4j.cli;

import org.prune4j.bench.Timing;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --runs} and {@code --warmup-seconds} for the measuring commands (mix in with {@code @Mixin TimingOptions timing;}). */
public final class TimingOptions {
    @Option(names = "--runs", defaultValue = "9", description = "Timed runs; the median is reported (more when runs are short). Default: ${DEFAULT-VALUE}.")
    public int runs;

    @Option(names = "--warmup-seconds", defaultValue = "1.0", description = "Warm-up time before timing, so the JIT has compiled the kernels. Default: ${DEFAULT-VALUE}.")
    public double warmupSeconds;

    /** The timing these options describe; bad values are usage errors of the command {@code spec}. */
    public Timing timing(CommandSpec spec) {
        if (runs < 1) throw new UsageException(spec.commandLine(), "--runs must be >= 1, got " + runs);
        if (!(warmupSeconds >= 0)) throw new UsageException(spec.commandLine(), "--warmup-seconds must be >= 0, got " + warmupSeconds);
        return Timing.DEFAULT.withRuns(runs).withWarmupSeconds(warmupSeconds);
    }
}
