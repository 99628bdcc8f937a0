package org.prune4j.opencl;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: skips the test class (with the reason) when the machine has no OpenCL device, else hands tests one
 * shared {@link OpenCLKernels} session (PoCL compiles kernels once per process, so sharing keeps the suite fast),
 * closed when the whole test run ends.
 */
final class OpenCLSession implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(OpenCLSession.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        Assumptions.assumeTrue(Devices.available(), () -> "skipped: no OpenCL device on this machine (" + Devices.unavailableReason() + ")");
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == OpenCLKernels.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return e.getRoot().getStore(NS).getOrComputeIfAbsent("session", k -> new Holder(OpenCLKernels.open(Devices.select("opencl"), 2)), Holder.class).kernels;
    }

    private record Holder(OpenCLKernels kernels) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() {
            kernels.close();
        }
    }
}
