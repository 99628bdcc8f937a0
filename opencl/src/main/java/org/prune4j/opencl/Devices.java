package org.prune4j.opencl;

import com.aparapi.device.OpenCLDevice;
import com.aparapi.internal.opencl.OpenCLLoader;
import com.aparapi.internal.opencl.OpenCLPlatform;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The OpenCL platforms and devices on this machine, through Aparapi's native layer. An empty list means no usable
 * OpenCL: Aparapi's native library or {@code libOpenCL.so.1} could not be loaded, or no driver (ICD) is installed;
 * {@link #unavailableReason()} says which.
 */
public final class Devices {
    private Devices() {}

    /** Aparapi logs through java.util.logging; keep it to warnings (held strongly so the level sticks). */
    private static final Logger APARAPI_LOG = Logger.getLogger("com.aparapi");

    private static List<ClDevice> devices;
    private static List<OpenCLDevice> handles;
    private static String reason;

    /** Every OpenCL device of every platform, GPUs of a platform in the driver's order; empty when none. */
    public static synchronized List<ClDevice> list() {
        if (devices == null) discover();
        return devices;
    }

    /** True when at least one OpenCL device exists. */
    public static boolean available() {
        return !list().isEmpty();
    }

    /** Why {@link #list()} is empty (null when it is not). */
    public static synchronized String unavailableReason() {
        list();
        return reason;
    }

    /** The first GPU, if any (what {@code --device auto} prefers). */
    public static Optional<ClDevice> firstGpu() {
        return list().stream().filter(ClDevice::isGpu).findFirst();
    }

    /**
     * The device a {@code --device opencl} spec names: {@code opencl} = the first GPU, else the first device of any
     * type (PoCL's CPU device on machines without a GPU); {@code opencl:N} = device N of {@link #list()}.
     * Throws when there is none, saying why.
     */
    public static ClDevice select(String spec) {
        List<ClDevice> all = list();
        if (all.isEmpty())
            throw new IllegalStateException("--device " + spec + ": no OpenCL device found (" + unavailableReason() + ")");
        if (spec.equals("opencl")) return firstGpu().orElse(all.get(0));
        if (spec.startsWith("opencl:")) {
            String n = spec.substring("opencl:".length());
            int i;
            try {
                i = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--device " + spec + ": expected opencl:INDEX with INDEX a device number from 'prune4j devices'");
            }
            if (i < 0 || i >= all.size())
                throw new IllegalArgumentException("--device " + spec + ": there are " + all.size() + " OpenCL device(s), numbered 0.." + (all.size() - 1));
            return all.get(i);
        }
        throw new IllegalArgumentException("--device " + spec + ": not an OpenCL device spec (opencl or opencl:INDEX)");
    }

    /** Aparapi's handle for a listed device. */
    static synchronized OpenCLDevice handle(ClDevice d) {
        list();
        return handles.get(d.index());
    }

    private static void discover() {
        APARAPI_LOG.setLevel(Level.WARNING);
        List<ClDevice> found = new ArrayList<>();
        List<OpenCLDevice> hs = new ArrayList<>();
        try {
            if (!OpenCLLoader.isOpenCLAvailable()) {
                reason = "Aparapi could not load its native library or libOpenCL.so.1; on Debian/Ubuntu install ocl-icd-libopencl1 and a driver such as pocl-opencl-icd";
            } else {
                for (OpenCLPlatform p : new OpenCLPlatform().getOpenCLPlatforms()) {
                    for (OpenCLDevice d : p.getOpenCLDevices()) {
                        found.add(new ClDevice(found.size(), p.getName(), p.getVendor(), p.getVersion(), d.getName(), d.getType().name(),
                                d.getMaxComputeUnits(), d.getGlobalMemSize(), d.getLocalMemSize(), d.getMaxMemAllocSize(), d.getMaxWorkGroupSize()));
                        hs.add(d);
                    }
                }
                if (found.isEmpty())
                    reason = "libOpenCL.so.1 loaded but lists no platform with a device; install an OpenCL driver (ICD) such as pocl-opencl-icd or the GPU vendor's";
            }
        } catch (LinkageError e) {
            reason = "Aparapi's native layer failed to load: " + e;
        }
        devices = List.copyOf(found);
        handles = List.copyOf(hs);
    }
}
