package org.prune4j.opencl;

/**
 * One OpenCL device as Aparapi sees it, with what {@code prune4j devices} reports. {@code index} is its position in
 * {@link Devices#list()} (what {@code --device opencl:INDEX} selects); {@code type} is GPU, CPU, ACC or UNKNOWN.
 */
public record ClDevice(int index, String platform, String platformVendor, String platformVersion, String name, String type,
                       int computeUnits, long globalMemBytes, long localMemBytes, long maxAllocBytes, int maxWorkGroupSize) {

    public boolean isGpu() {
        return type.equals("GPU");
    }

    /** One line for logs and reports: "pthread-... (CPU, Portable Computing Language, 2 compute units, 4.3 GiB)". */
    public String describe() {
        return name + " (" + type + ", " + platform + ", " + computeUnits + " compute units, "
                + String.format(java.util.Locale.ROOT, "%.1f GiB", globalMemBytes / (double) (1L << 30)) + ")";
    }
}
