package org.prune4j.opencl;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLKernel;
import com.aparapi.internal.opencl.OpenCLProgram;
import com.aparapi.opencl.OpenCL;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * {@code kernels.cl} built once on one device, and {@link ClOps} bound to it. Unlike Aparapi's stock
 * {@code OpenCLDevice.bind}, every call gets a fresh kernel object (and so fresh device buffers) that is released
 * right after: the stock binding reuses a buffer whenever a new array happens to sit at the previous array's
 * address, even when its size differs, which can overrun device or heap memory. The program (the expensive part)
 * is shared; creating a kernel from it costs microseconds.
 */
final class ClProgram implements AutoCloseable {
    /** What every kernel writes into {@code ran[0]} (see kernels.cl). */
    static final int RAN_MAGIC = 0x50524E34;

    private final OpenCLDevice device;
    private final String deviceName;
    private OpenCLProgram program;
    private final ClOps ops;
    private long launches;
    private String lastKernel = "";

    private ClProgram(OpenCLDevice device) {
        this.device = device;
        this.deviceName = device.getName();
        this.program = new OpenCLProgram(device, source()).createProgram(device);
        this.ops = (ClOps) Proxy.newProxyInstance(ClOps.class.getClassLoader(), new Class<?>[] {ClOps.class}, new Invoker());
    }

    /** Builds the program on {@code device} and runs one tiny kernel to prove the device executes it. */
    static ClProgram build(OpenCLDevice device) {
        ClProgram p = new ClProgram(device);
        try {
            float[] y = new float[1];
            p.ops.unary(Range.create(device, 256, 256), new float[] {2f}, y, 1, ClCodes.unary(org.prune4j.tensor.UnaryOp.NEG), new int[1]);
            if (y[0] != -2f)
                throw new IllegalStateException("OpenCL device " + p.deviceName + " computed -(2) = " + y[0] + " in its smoke test; refusing to use it");
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    static String source() {
        try (InputStream in = ClOps.class.getResourceAsStream("/" + ClOps.class.getAnnotation(OpenCL.Resource.class).value())) {
            if (in == null) throw new IllegalStateException("kernels.cl is missing from the prune4j-opencl jar");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernels.cl from the prune4j-opencl jar", e);
        }
    }

    /** The kernels; each call blocks until its results are back in the Java arrays. */
    ClOps ops() {
        return ops;
    }

    /** Kernel launches that ran on the device so far. */
    synchronized long launches() {
        return launches;
    }

    /** Name of the last kernel that ran on the device. */
    synchronized String lastKernel() {
        return lastKernel;
    }

    /** 1-D range of {@code items} rounded up to whole work-groups of {@code local}, capped at {@code maxGroups} groups. */
    Range range(long items, int local, int maxGroups) {
        long groups = Math.max(1, Math.min(maxGroups, (items + local - 1) / local));
        return Range.create(device, (int) (groups * local), local);
    }

    @Override
    public synchronized void close() {
        if (program != null) {
            program.dispose();
            program = null;
        }
    }

    private final class Invoker implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "toString" -> "ClOps on " + deviceName;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            }
            if (method.getDeclaringClass() != ClOps.class)
                throw new UnsupportedOperationException("ClOps." + method.getName() + " is not a kernel");
            launch(method, args);
            return proxy;
        }
    }

    private synchronized void launch(Method method, Object[] args) {
        if (program == null) throw new IllegalStateException("the OpenCL session on " + deviceName + " is closed");
        if (!(args[0] instanceof Range)) throw new IllegalArgumentException(method.getName() + ": first argument must be a Range");
        int[] ran = (int[]) args[args.length - 1];
        Arrays.fill(ran, 0);
        OpenCLKernel kernel = OpenCLKernel.createKernel(program, method.getName(), device.getArgs(method));
        if (kernel == null)
            throw new IllegalStateException("OpenCL kernel " + method.getName() + " could not be created on " + deviceName
                    + " (kernels.cl failed to build there; the compiler log is on stderr)");
        try {
            kernel.invoke(args);
        } finally {
            kernel.dispose();
        }
        if (ran[0] != RAN_MAGIC)
            throw new IllegalStateException("OpenCL kernel " + method.getName() + " did not run on " + deviceName
                    + " (Aparapi printed the OpenCL error on stderr)");
        launches++;
        lastKernel = method.getName();
    }
}
