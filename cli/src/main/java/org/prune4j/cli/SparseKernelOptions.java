package org.prune4j.cli;

import java.io.PrintStream;
import java.util.Locale;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.SparseKernels;
import picocli.CommandLine.Option;

/** {@code --sparse-kernels auto|on|off} for the commands that run a model (mix in with {@code @Mixin SparseKernelOptions sparse;}). */
public final class SparseKernelOptions {
    @Option(names = "--sparse-kernels", defaultValue = "auto",
            description = "Run N:M-sparse linear weights compressed: auto (decode only, where this CPU's compressed kernel beats dense: on the CPU backend, <= 0.8 of the dense bytes, and on AVX2 only 2:4 and 4:8), on (every weight that is N:M, decode and prefill, keeping only the compressed copy: inference only), off. Default: ${DEFAULT-VALUE}.")
    String mode;

    /** Installs the compressed layers on {@code m}; says what it did on {@code log}. {@code on} with nothing to compress is an error. */
    public SparseKernels.Report apply(LlamaModel m, PrintStream log, picocli.CommandLine cl) {
        SparseKernels.Mode mm = switch (mode.toLowerCase(Locale.ROOT)) {
            case "auto" -> SparseKernels.Mode.AUTO;
            case "on" -> SparseKernels.Mode.ON;
            case "off" -> SparseKernels.Mode.OFF;
            default -> throw new UsageException(cl, "--sparse-kernels must be auto, on or off, got '" + mode + "'");
        };
        SparseKernels.Report r = SparseKernels.apply(m, mm);
        if (mm == SparseKernels.Mode.ON && r.compressed() == 0)
            throw new UsageException(cl, "--sparse-kernels on: no linear weight of the model is N:M sparse (for M = 4, 8 and 16, some group of M inputs has no zero)");
        if (r.compressed() > 0)
            log.printf(Locale.ROOT, "sparse kernels: %d of %d linear layers compressed (%s), %.1f%% of their dense bytes%s%n",
                    r.compressed(), r.linears(), r.patterns(), 100.0 * r.nmBytes() / r.denseBytes(),
                    r.denseDropped() ? "; their dense weights are dropped" : ", beside their dense weights (prefill)");
        return r;
    }
}
