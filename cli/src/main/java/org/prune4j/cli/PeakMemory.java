package org.prune4j.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak memory of this process, for reports: the resident set high-water mark the OS keeps (Linux VmHWM; counts
 * heap, off-heap and mapped pages actually touched) and the Java heap's peak (sum of the heap pools' peaks).
 */
public final class PeakMemory {
    private PeakMemory() {}

    /** Peak resident set size in bytes, or -1 where /proc is not available. */
    public static long peakRssBytes() {
        return procStatus("VmHWM:");
    }

    /** Current resident set size in bytes, or -1. */
    public static long rssBytes() {
        return procStatus("VmRSS:");
    }

    private static long procStatus(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(key)) return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]) * 1024;
        } catch (Exception e) {
            // not Linux: unknown
        }
        return -1;
    }

    /** Sum of the heap memory pools' peak usage in bytes (an upper bound of the heap's peak). */
    public static long peakHeapBytes() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) sum += p.getPeakUsage().getUsed();
        return sum;
    }

    /** "412 MB" / "1.3 GB" / "unknown". */
    public static String format(long bytes) {
        if (bytes < 0) return "unknown";
        if (bytes >= 10L << 30) return String.format("%.0f GB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 30) return String.format("%.1f GB", bytes / (double) (1L << 30));
        return String.format("%.0f MB", bytes / (double) (1L << 20));
    }
}
