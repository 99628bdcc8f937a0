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

    /** Heap in use after a full collection (System.gc): the live objects, e.g. a model's weights once set up. */
    public static long liveHeapBytes() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Restarts both peaks from now, so a later {@link #peakHeapBytes}/{@link #peakRssBytes} covers one phase (e.g.
     * inference after the setup that built a dense model first). The RSS mark is reset through Linux's
     * /proc/self/clear_refs ("5"); returns false where that is not possible (the RSS peak then still covers setup).
     */
    public static boolean resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans())
            if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** "412 MB" / "1.3 GB" / "unknown". */
    public static String format(long bytes) {
        if (bytes < 0) return "unknown";
        if (bytes >= 10L << 30) return String.format("%.0f GB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 30) return String.format("%.1f GB", bytes / (double) (1L << 30));
        return String.format("%.0f MB", bytes / (double) (1L << 20));
    }
}
