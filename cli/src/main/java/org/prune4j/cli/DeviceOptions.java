package org.prune4j.cli;

import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|opencl|auto} and {@code --threads T}, taken by every command that computes
 * (mix in with {@code @Mixin DeviceOptions device;}, then call {@link #kernels()}).
 */
public final class DeviceOptions {
    @Option(names = "--device", defaultValue = "cpu", description = "cpu, opencl or auto (an OpenCL GPU when present, else cpu). Default: ${DEFAULT-VALUE}.")
    public String device;

    @Option(names = "--threads", description = "CPU threads for the cpu backend (default: all cores).")
    public Integer threads;

    /** The kernels the command should compute with. */
    public Kernels kernels() {
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        return switch (device) {
            case "cpu", "auto" -> new VectorKernels(t); // TODO(opencl helper): auto -> OpenCL GPU when one exists
            case "opencl" -> throw new IllegalStateException("--device opencl: the OpenCL backend is not wired in yet");
            default -> throw new IllegalArgumentException("--device must be cpu, opencl or auto, got '" + device + "'");
        };
    }
}
