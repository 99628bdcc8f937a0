package org.prune4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.safetensors.SafeTensorsWriter;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Storage;
import org.prune4j.tensor.Tensor;

/**
 * Shows that opening a checkpoint maps it instead of reading it: writes a synthetic BF16 checkpoint of a chosen size
 * (streamed from one reusable buffer, never held in memory), then measures the time to open it and the growth of the
 * resident set (VmRSS from /proc/self/status) after opening and after reading one tensor. As an anchor from the same
 * run it also times reading the whole file through a channel, which is what a loader that copies would pay at least.
 */
public final class OpenBench {
    private OpenBench() {}

    /** Rows and columns of each synthetic tensor: a 4096 x 4096 BF16 matrix, 32 MiB, like one projection of a 7B model. */
    public static final int ROWS = 4096, COLS = 4096;

    /** What one run measured. Times in milliseconds, memory in bytes (RSS values are -1 where /proc is absent). */
    public record Result(Path file, long fileBytes, int tensors, double writeSeconds,
                         double firstOpenMs, double medianOpenMs, int openRuns,
                         long rssBefore, long rssAfterOpen, long rssAfterRead,
                         long rssFileBefore, long rssFileAfterOpen, long rssFileAfterRead,
                         String readTensor, long readTensorBytes, double readTensorMs, double checksum,
                         double fullReadMs) {
        public long openGrowth() { return rssAfterOpen < 0 ? -1 : rssAfterOpen - rssBefore; }
        public long readGrowth() { return rssAfterRead < 0 ? -1 : rssAfterRead - rssAfterOpen; }
        /** Growth of file-backed resident pages (RssFile): mapped checkpoint pages actually in memory. */
        public long openFileGrowth() { return rssFileAfterOpen < 0 ? -1 : rssFileAfterOpen - rssFileBefore; }
        public long readFileGrowth() { return rssFileAfterRead < 0 ? -1 : rssFileAfterRead - rssFileAfterOpen; }
    }

    /**
     * Writes a synthetic checkpoint of about {@code gb} × 10^9 bytes into {@code dir} (or uses {@code existing} when
     * not null), then measures. The written file is deleted afterwards unless {@code keep}.
     */
    public static Result run(Path dir, double gb, Path existing, boolean keep, boolean anchor, int openRuns, PrintStream log) throws IOException {
        Path file = existing;
        double writeSeconds = 0;
        int tensors;
        if (existing == null) {
            tensors = (int) Math.max(1, Math.ceil(gb * 1e9 / ((long) ROWS * COLS * 2)));
            file = dir.resolve("prune4j-openbench-" + ProcessHandle.current().pid() + ".safetensors");
            log.printf("bench open: writing %d BF16 tensors of [%d, %d] (%.2f GB) to %s ...%n", tensors, ROWS, COLS, tensors * (double) ROWS * COLS * 2 / 1e9, file);
            long t0 = System.nanoTime();
            writeSynthetic(file, tensors);
            writeSeconds = (System.nanoTime() - t0) / 1e9;
        }
        try {
            return measure(file, writeSeconds, anchor, openRuns, log);
        } finally {
            if (existing == null && !keep) Files.deleteIfExists(file);
        }
    }

    /** Streams {@code tensors} BF16 matrices through the writer from one 32 MiB buffer (each tagged with its index). */
    public static void writeSynthetic(Path file, int tensors) throws IOException {
        long bytes = (long) ROWS * COLS * 2;
        try (Arena arena = Arena.ofConfined(); SafeTensorsWriter w = SafeTensorsWriter.create(file)) {
            MemorySegment buf = arena.allocate(bytes, 64);
            ValueLayout.OfShort bf16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            long x = 0x9E3779B97F4A7C15L;
            for (long i = 0; i < (long) ROWS * COLS; i++) { // xorshift: uniform weights in [-0.05, 0.05)
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                buf.set(bf16, 2 * i, DType.floatToBf16(((x >>> 40) * 0x1p-24f - 0.5f) * 0.1f));
            }
            for (int t = 0; t < tensors; t++) w.declare(name(t), DType.BF16, ROWS, COLS);
            for (int t = 0; t < tensors; t++) {
                buf.set(bf16, 0, DType.floatToBf16(t)); // first element: the tensor's index, so tensors differ
                w.writeBytes(name(t), buf);
            }
            w.commit();
        }
    }

    /** Llama-like names: seven projections per layer. */
    static String name(int t) {
        String[] proj = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};
        return "model.layers." + (t / proj.length) + "." + proj[t % proj.length] + ".weight";
    }

    private static Result measure(Path file, double writeSeconds, boolean anchor, int openRuns, PrintStream log) throws IOException {
        long fileBytes = Files.size(file);
        settle();
        long rssBefore = rss(), rssFileBefore = rss("RssFile:");
        long t0 = System.nanoTime();
        SafeTensors st = SafeTensors.open(file);
        double firstOpenMs = (System.nanoTime() - t0) / 1e6;
        long rssAfterOpen = rss(), rssFileAfterOpen = rss("RssFile:");
        try {
            List<String> names = new ArrayList<>(st.names());
            String middle = names.get(names.size() / 2);
            long t1 = System.nanoTime();
            Tensor w = st.get(middle);
            Storage s = w.storage();
            double sum = 0;
            long n = w.numel();
            for (long i = 0; i < n; i++) sum += s.getFloat(i);
            double readMs = (System.nanoTime() - t1) / 1e6;
            long rssAfterRead = rss(), rssFileAfterRead = rss("RssFile:");
            long tensorBytes = st.info(middle).byteSize();
            st.close();

            double[] opens = new double[Math.max(1, openRuns)];
            for (int i = 0; i < opens.length; i++) {
                long a = System.nanoTime();
                try (SafeTensors again = SafeTensors.open(file)) {
                    opens[i] = (System.nanoTime() - a) / 1e6;
                    if (again.size() != names.size()) throw new IllegalStateException("reopened with a different tensor count");
                }
            }
            Arrays.sort(opens);
            double fullReadMs = anchor ? readWholeFile(file) : -1;
            log.printf("bench open: done (%d tensors)%n", names.size());
            return new Result(file, fileBytes, names.size(), writeSeconds, firstOpenMs, opens[opens.length / 2], opens.length,
                    rssBefore, rssAfterOpen, rssAfterRead, rssFileBefore, rssFileAfterOpen, rssFileAfterRead, middle, tensorBytes, readMs, sum, fullReadMs);
        } finally {
            st.close();
        }
    }

    /** Lets the heap settle (GC, freed direct buffers) so RSS differences reflect the mapping, not the collector. */
    private static void settle() {
        long prev = -2;
        for (int i = 0; i < 10; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = rss();
            if (Math.abs(now - prev) < (256 << 10)) return; // stable within 256 KiB
            prev = now;
        }
    }

    /** Reads every byte of the file through a channel into one reused 8 MiB buffer (the cost any copying loader pays). */
    static double readWholeFile(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(8 << 20);
        long t0 = System.nanoTime();
        long total = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (true) {
                buf.clear();
                int r = ch.read(buf);
                if (r < 0) break;
                total += r;
            }
        }
        if (total != Files.size(file)) throw new IllegalStateException("read " + total + " bytes of " + file);
        return (System.nanoTime() - t0) / 1e6;
    }

    /** The resident set size of this process in bytes (VmRSS), or -1 when /proc/self/status is unavailable. */
    public static long rss() {
        return rss("VmRSS:");
    }

    /** One memory line of /proc/self/status ("VmRSS:", "RssFile:", "RssAnon:") in bytes, or -1. */
    public static long rss(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    String[] p = line.trim().split("\\s+");
                    return Long.parseLong(p[1]) * 1024; // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** A one-paragraph report of {@code r}. */
    public static String report(Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("checkpoint: %s, %.2f GB, %d BF16 tensors%s%n", r.file().getFileName(), r.fileBytes() / 1e9, r.tensors(),
                r.writeSeconds() > 0 ? String.format(" (written in %.1f s, %.2f GB/s)", r.writeSeconds(), r.fileBytes() / 1e9 / r.writeSeconds()) : ""));
        sb.append(String.format("open:       %.2f ms first, %.2f ms median of %d reopens%n", r.firstOpenMs(), r.medianOpenMs(), r.openRuns()));
        if (r.rssBefore() >= 0) {
            sb.append(String.format("VmRSS:      %+.1f MiB after open (%.3f%% of the file), %+.1f MiB more after reading %s (%.1f MiB)%n",
                    r.openGrowth() / 1048576.0, 100.0 * r.openGrowth() / r.fileBytes(), r.readGrowth() / 1048576.0, r.readTensor(), r.readTensorBytes() / 1048576.0));
        }
        if (r.rssFileBefore() >= 0) {
            sb.append(String.format("RssFile:    %+.2f MiB after open, %+.1f MiB more after reading that tensor (file-backed pages resident)%n",
                    r.openFileGrowth() / 1048576.0, r.readFileGrowth() / 1048576.0));
        }
        sb.append(String.format("read one:   %.1f ms to touch all %d elements of that tensor (cold JIT; checksum %.4f)%n", r.readTensorMs(), r.readTensorBytes() / 2, r.checksum()));
        if (r.fullReadMs() >= 0)
            sb.append(String.format("anchor:     reading the whole file through a channel took %.0f ms (%.2f GB/s): open is %.0fx faster%n",
                    r.fullReadMs(), r.fileBytes() / 1e6 / r.fullReadMs(), r.fullReadMs() / r.firstOpenMs()));
        return sb.toString();
    }

    /** Standalone entry: {@code OpenBench [--gb G] [--dir DIR] [--keep]}. */
    public static void main(String[] args) throws IOException {
        double gb = 4;
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--gb" -> gb = Double.parseDouble(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--keep" -> keep = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (use --gb G, --dir DIR, --keep)");
            }
        }
        System.out.print(report(run(dir, gb, null, keep, true, 5, System.err)));
    }
}
