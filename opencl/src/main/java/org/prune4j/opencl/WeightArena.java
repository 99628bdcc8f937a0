package org.prune4j.opencl;

import com.aparapi.Range;
import com.aparapi.device.OpenCLDevice;
import com.aparapi.exception.CompileFailedException;
import com.aparapi.internal.kernel.KernelManager;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * One device buffer holding many weights back to back (each [n, k] row-major at its own offset), with the
 * {@link ResidentGemmKernel} that multiplies by them. Aparapi gives every Java kernel instance its own OpenCL
 * context and ties device buffers to Java arrays, so packing all weights into a few arenas keeps the number of
 * contexts small and uploads each weight once. The host copy ({@link #data}) is what Aparapi re-uploads if the
 * garbage collector ever moves the array; {@link #close()} frees the device side deterministically.
 */
final class WeightArena implements AutoCloseable {
    final float[] data;
    private final OpenCLDevice device;
    private final String deviceName;
    private ResidentGemmKernel kernel;
    /** Floats still referenced by resident weights; the arena is closed when this reaches 0. */
    long live;

    WeightArena(OpenCLDevice device, float[] data) {
        this.device = device;
        this.deviceName = device.getName();
        this.data = data;
        this.live = data.length;
        ResidentGemmKernel k = new ResidentGemmKernel();
        k.setExplicit(true);
        k.w = data;
        KernelManager.instance().setPreferredDevices(k, new LinkedHashSet<>(List.of(device)));
        try {
            k.compile(device);
        } catch (CompileFailedException e) {
            k.dispose();
            throw new IllegalStateException("Aparapi could not compile the resident GEMM kernel for OpenCL device " + deviceName + ": " + e.getMessage(), e);
        }
        this.kernel = k;
    }

    /** Tests only: make Aparapi run the kernel in its Java thread pool, as it does silently when OpenCL fails. */
    synchronized void forceJavaThreadPoolForTest() {
        kernel.setExecutionMode(com.aparapi.Kernel.EXECUTION_MODE.JTP);
        javaForTest = true;
    }

    private boolean javaForTest;

    /** y [m, n] = x [m, k] @ W^T for the weight of {@code n} rows at {@code wOff}. */
    synchronized float[] multiply(float[] x, int m, int n, int k, int wOff) {
        if (kernel == null) throw new IllegalStateException("weight arena on " + deviceName + " is closed");
        float[] y = new float[Math.multiplyExact(m, n)];
        ResidentGemmKernel g = kernel;
        g.x = x;
        g.y = y;
        g.m = m;
        g.n = n;
        g.k = k;
        g.wOff = wOff;
        Range range;
        if (m <= 2) {
            g.mode = ResidentGemmKernel.ROWS;
            long groups = Math.min(65536L, (long) m * ((n + ResidentGemmKernel.VR - 1) / ResidentGemmKernel.VR));
            range = Range.create(javaForTest ? com.aparapi.device.JavaDevice.THREAD_POOL : device, (int) groups * ResidentGemmKernel.VW, ResidentGemmKernel.VW);
        } else {
            g.mode = ResidentGemmKernel.TILED;
            int gx = (n + ResidentGemmKernel.TILE - 1) / ResidentGemmKernel.TILE * ResidentGemmKernel.LS;
            int gy = (m + ResidentGemmKernel.TILE - 1) / ResidentGemmKernel.TILE * ResidentGemmKernel.LS;
            range = Range.create2D(javaForTest ? com.aparapi.device.JavaDevice.THREAD_POOL : device, gx, gy, ResidentGemmKernel.LS, ResidentGemmKernel.LS);
        }
        int javaRunsBefore = g.javaRuns;
        g.put(x);
        g.execute(range);
        if (g.javaRuns != javaRunsBefore || !g.isRunningCL())
            throw new IllegalStateException("Aparapi ran the resident GEMM kernel in its Java thread pool instead of on OpenCL device "
                    + deviceName + "; refusing to continue (see Aparapi's warnings on stderr)");
        g.get(y);
        return y;
    }

    @Override
    public synchronized void close() {
        if (kernel != null) {
            kernel.dispose();
            kernel = null;
        }
    }

    boolean closed() {
        return kernel == null;
    }
}
