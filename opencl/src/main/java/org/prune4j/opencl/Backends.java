package org.prune4j.opencl;

import java.util.Optional;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;

/**
 * Picks the compute backend from a device spec, the library side of {@code --device}:
 * {@code cpu} = {@link VectorKernels}; {@code opencl} = an {@link OpenCLKernels} session on the first OpenCL GPU, else
 * on the first OpenCL device of any type (PoCL's CPU device where there is no GPU); {@code opencl:N} = device N of
 * {@link Devices#list()}; {@code auto} = an OpenCL GPU when one exists, else {@code cpu}. Asking for OpenCL where there
 * is none is an error saying why — never a silent fall-back to Aparapi's Java thread pool or to the CPU.
 * The result must be closed ({@link Kernels#close()}) to free device memory.
 */
public final class Backends {
    private Backends() {}

    /** True for the specs {@link #select} accepts (checked before anything is opened, for usage errors). */
    public static boolean isValidSpec(String spec) {
        return spec.equals("cpu") || spec.equals("auto") || spec.equals("opencl") || spec.matches("opencl:\\d+");
    }

    /** The kernels for {@code spec}; {@code threads} is the CPU thread count (of the CPU backend, or of the ops an OpenCL session leaves on the CPU). */
    public static Kernels select(String spec, int threads) {
        if (!isValidSpec(spec))
            throw new IllegalArgumentException("--device must be cpu, opencl, opencl:INDEX or auto, got '" + spec + "'");
        return switch (spec) {
            case "cpu" -> new VectorKernels(threads);
            case "auto" -> {
                Optional<ClDevice> gpu = Devices.firstGpu();
                yield gpu.isPresent() ? OpenCLKernels.open(gpu.get(), threads) : new VectorKernels(threads);
            }
            default -> OpenCLKernels.open(Devices.select(spec), threads);
        };
    }

    /** What {@code spec} would run on, without opening anything: "cpu" or "opencl:N (device)"; null when it cannot run. */
    public static String resolve(String spec) {
        if (!isValidSpec(spec)) return null;
        if (spec.equals("cpu")) return "cpu";
        if (spec.equals("auto")) return Devices.firstGpu().map(Backends::label).orElse("cpu");
        try {
            return label(Devices.select(spec));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String label(ClDevice d) {
        return "opencl:" + d.index() + " (" + d.name() + ")";
    }
}
