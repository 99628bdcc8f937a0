package org.prune4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.prune4j.opencl.Backends;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --device cpu|opencl|opencl:INDEX|auto} and {@code --threads T}, taken by every command that computes
 * (mix in with {@code @Mixin DeviceOptions device;}, then call {@link #kernels()}). The kernels are opened once per
 * command and closed by {@link Main} when the command returns, which frees OpenCL device memory deterministically.
 */
public final class DeviceOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    public String device = "cpu";

    @Option(names = "--threads", description = "CPU threads for the cpu backend and for the ops an OpenCL device leaves on the CPU (default: all cores).")
    public Integer threads;

    private Kernels kernels;

    /** Commands' backends still open; {@link Main} closes them when the command ends. */
    private static final List<Kernels> OPENED = new ArrayList<>();

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "DEVICE",
            description = "cpu, opencl (the first OpenCL GPU, else the first OpenCL device, e.g. PoCL), opencl:INDEX (see 'prune4j devices') "
                    + "or auto (an OpenCL GPU when present, else cpu). Default: ${DEFAULT-VALUE}.")
    void setDevice(String value) {
        if (!Backends.isValidSpec(value))
            throw new ParameterException(spec.commandLine(), "--device must be cpu, opencl, opencl:INDEX or auto, got '" + value + "'");
        device = value;
    }

    /** The kernels the command computes with (opened on first call; the same instance afterwards). */
    public Kernels kernels() {
        if (kernels == null) {
            int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
            if (t < 1) throw new ParameterException(spec.commandLine(), "--threads must be >= 1, got " + t);
            kernels = Backends.select(device, t);
            synchronized (OPENED) {
                OPENED.add(kernels);
            }
        }
        return kernels;
    }

    /**
     * For commands that only run a model (eval, generate): its matrices are never modified there, so a device backend
     * may keep them resident (from their second use on; see OpenCLKernels). Commands that change weights (prune,
     * distill) must not call this, or must {@link Kernels#release} each weight they modify.
     */
    public void keepResident(Map<String, Tensor> weights) {
        Kernels k = kernels();
        for (Tensor t : weights.values()) if (t.rank() == 2) k.keepResident(t);
    }

    /** Closes every backend opened by a command of this process (device buffers, programs). */
    static void closeOpened() {
        synchronized (OPENED) {
            for (Kernels k : OPENED) k.close();
            OPENED.clear();
        }
    }
}
