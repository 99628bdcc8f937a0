package org.prune4j.distill;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;
import org.prune4j.transformer.LlamaModel;

/**
 * Offline KD: the teacher's top-k log-probabilities per position (at temperature T) and the probability mass left
 * over, computed once for the first {@code windows} windows of a data stream and memory-mapped by later runs, so
 * a large teacher runs once instead of once per step. Folder layout (little-endian, position-major, window w at
 * positions [wL, (w+1)L)):
 * <ul>
 * <li>{@code meta.json}: format, k, vocab, seq_len, windows, temperature, teacher and data fingerprints;</li>
 * <li>{@code ids.i32}: k token ids per position, most probable first;</li>
 * <li>{@code logp.f32}: their log p_T;</li>
 * <li>{@code rest.f32}: 1 - the sum of those k probabilities, per position.</li>
 * </ul>
 */
public final class TeacherCache implements AutoCloseable {
    static final String FORMAT = "prune4j-teacher-cache-1";

    /** Progress of a build: windows done of total. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    private final int k, vocab, seqLen, windows;
    private final float temperature;
    private final Arena arena;
    private final MemorySegment ids, logp, rest;

    private TeacherCache(Path dir, Map<String, Object> meta) throws IOException {
        this.k = ((Number) meta.get("k")).intValue();
        this.vocab = ((Number) meta.get("vocab")).intValue();
        this.seqLen = ((Number) meta.get("seq_len")).intValue();
        this.windows = ((Number) meta.get("windows")).intValue();
        this.temperature = ((Number) meta.get("temperature")).floatValue();
        this.arena = Arena.ofShared();
        long positions = (long) windows * seqLen;
        ids = map(dir.resolve("ids.i32"), positions * k * 4);
        logp = map(dir.resolve("logp.f32"), positions * k * 4);
        rest = map(dir.resolve("rest.f32"), positions * 4);
    }

    private MemorySegment map(Path f, long size) throws IOException {
        if (!Files.isRegularFile(f) || Files.size(f) != size)
            throw new IOException(f + ": expected " + size + " bytes for the cache's meta.json, found " + (Files.exists(f) ? Files.size(f) : "no file"));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
    }

    /** The identity of a cache: what must match for a run to reuse it. */
    public record Key(String teacher, long data, int seqLen, float temperature, int k) {}

    /**
     * Opens the cache in {@code dir}, building it first when absent: teacher inference over the first
     * {@code windows} windows of {@code data} (FIRST sampling), {@code batch} at a time. A folder built for another
     * teacher, data, window length, temperature or k is an error saying which.
     */
    public static TeacherCache openOrBuild(Path dir, LlamaModel teacher, Batches data, int windows, float temperature, int k, Progress progress) throws IOException {
        if (data.sampling() != Batches.Sampling.FIRST) throw new IllegalArgumentException("--teacher-cache needs --data-sampling first (cached windows are fixed)");
        int v = teacher.config().vocabSize();
        if (k < 1 || k > v) throw new IllegalArgumentException("--teacher-top-k must be in [1, " + v + "], got " + k);
        Key key = new Key(TrainLoop.fingerprint("teacher", teacher.parameters()), data.fingerprint(), data.seqLen(), temperature, k);
        windows = Math.min(windows, data.windows());
        if (!Files.exists(dir)) build(dir, teacher, data, windows, key, progress);
        Map<String, Object> meta = readMeta(dir);
        check(dir, meta, "teacher", key.teacher());
        check(dir, meta, "data", Long.toString(key.data()));
        check(dir, meta, "seq_len", Long.toString(key.seqLen()));
        check(dir, meta, "temperature", Double.toString(key.temperature()));
        check(dir, meta, "k", Long.toString(key.k()));
        TeacherCache c = new TeacherCache(dir, meta);
        if (c.windows < windows) {
            c.close();
            throw new IllegalArgumentException(dir + ": the cache holds " + c.windows + " windows, the run reads " + windows + " (delete it to rebuild)");
        }
        return c;
    }

    private static void check(Path dir, Map<String, Object> meta, String field, String want) {
        Object got = meta.get(field);
        String g = got instanceof Double d ? Double.toString(d) : String.valueOf(got);
        if (!want.equals(g))
            throw new IllegalArgumentException(dir + ": a teacher cache for another run (" + field + " " + g + ", this run " + want + "); delete it or choose another --teacher-cache");
    }

    private static Map<String, Object> readMeta(Path dir) throws IOException {
        Path f = dir.resolve("meta.json");
        if (!Files.isRegularFile(f)) throw new IOException(dir + ": not a teacher cache (no meta.json)");
        try {
            Map<String, Object> m = Json.parseObject(Files.readString(f), true);
            if (!FORMAT.equals(m.get("format"))) throw new IOException(f + ": format " + m.get("format") + ", expected " + FORMAT);
            return m;
        } catch (JsonException e) {
            throw new IOException(f + ": not valid JSON: " + e.getMessage());
        }
    }

    private static void build(Path dir, LlamaModel teacher, Batches data, int windows, Key key, Progress progress) throws IOException {
        Kernels kern = teacher.kernels();
        int v = teacher.config().vocabSize(), len = data.seqLen(), k = key.k(), b = data.batch();
        AtomicFiles.buildFolder(dir, false, tmp -> {
            try (FileChannel ci = FileChannel.open(tmp.resolve("ids.i32"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 FileChannel cl = FileChannel.open(tmp.resolve("logp.f32"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 FileChannel cr = FileChannel.open(tmp.resolve("rest.f32"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (int w0 = 0; w0 < windows; w0 += b) {
                    int[][] rows = data.get(w0 / b);                                           // windows [w0, w0 + b)
                    int nw = Math.min(b, windows - w0);
                    rows = java.util.Arrays.copyOf(rows, nw);
                    Tensor logits = teacher.logits(rows).reshape(nw * len, v);                 // [n, V]
                    float[] ls = kern.logSoftmax(kern.scale(logits, 1f / key.temperature())).toFloatArray();
                    ByteBuffer bi = le(nw * len * k * 4), bl = le(nw * len * k * 4), br = le(nw * len * 4);
                    int[] top = new int[k];
                    for (int p = 0; p < nw * len; p++) {
                        topK(ls, p * v, v, top);
                        double mass = 0;
                        for (int id : top) {
                            bi.putInt(id);
                            bl.putFloat(ls[p * v + id]);
                            mass += Math.exp(ls[p * v + id]);
                        }
                        br.putFloat(k == v ? 0f : (float) Math.max(0, 1 - mass)); // k = V: nothing is left over (1 - mass is rounding)
                    }
                    write(ci, bi);
                    write(cl, bl);
                    write(cr, br);
                    if (progress != null) progress.update(w0 + nw, windows);
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", FORMAT);
            m.put("k", (long) k);
            m.put("vocab", (long) v);
            m.put("seq_len", (long) len);
            m.put("windows", (long) windows);
            m.put("temperature", (double) key.temperature());
            m.put("teacher", key.teacher());
            m.put("data", Long.toString(key.data()));
            Files.writeString(tmp.resolve("meta.json"), Json.writePretty(m, 2) + "\n");
        });
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void write(FileChannel ch, ByteBuffer b) throws IOException {
        b.flip();
        while (b.hasRemaining()) ch.write(b);
    }

    /** The k largest of a[off, off+n) by index, largest first (ties: lower index first). */
    static void topK(float[] a, int off, int n, int[] out) {
        int k = out.length, size = 0;
        for (int j = 0; j < n; j++) {                                                      // insertion into a sorted top list
            float x = a[off + j];
            if (size == k && !(x > a[off + out[k - 1]])) continue;
            int at = size < k ? size++ : k - 1;
            while (at > 0 && x > a[off + out[at - 1]]) {
                out[at] = out[at - 1];
                at--;
            }
            out[at] = j;
        }
    }

    public int k() { return k; }

    public float temperature() { return temperature; }

    /** The cached teacher of a FIRST-sampled micro-batch of {@code rows} windows starting at window {@code first}. */
    public record Rows(int[] ids, float[] logp, float[] rest) {}

    /** Rows of windows first, first+1, ... (each index mod the stream's window count {@code streamWindows}). */
    public Rows rows(long firstWindow, int count, int streamWindows) {
        int[] id = new int[count * seqLen * k];
        float[] lp = new float[count * seqLen * k], r = new float[count * seqLen];
        for (int i = 0; i < count; i++) {
            int w = (int) Math.floorMod(firstWindow + i, (long) streamWindows);
            if (w >= windows) throw new IllegalArgumentException("the teacher cache holds " + windows + " windows; the run reads window " + w);
            long pos = (long) w * seqLen;
            MemorySegment.copy(ids, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos * k * 4, id, i * seqLen * k, seqLen * k);
            MemorySegment.copy(logp, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos * k * 4, lp, i * seqLen * k, seqLen * k);
            MemorySegment.copy(rest, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos * 4, r, i * seqLen, seqLen);
        }
        return new Rows(id, lp, r);
    }

    @Override
    public void close() {
        arena.close();
    }
}
