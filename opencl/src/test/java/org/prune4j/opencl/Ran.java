package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import org.prune4j.tensor.Tensor;

/** Runs an op and asserts it really executed on the OpenCL device, as the named kernel. */
final class Ran {
    private Ran() {}

    static Tensor on(OpenCLKernels k, String kernel, Supplier<Tensor> op) {
        long before = k.launches();
        Tensor t = op.get();
        assertTrue(k.launches() > before, "expected kernel " + kernel + " to run on " + k.device().describe() + ", but nothing was launched");
        assertEquals(kernel, k.lastKernel(), "kernel that ran last on " + k.device().name());
        return t;
    }
}
