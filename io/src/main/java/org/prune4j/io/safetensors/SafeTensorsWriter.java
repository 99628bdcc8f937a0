package org.prune4j.io.safetensors;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.tensor.ArrayStorage;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.SegmentStorage;
import org.prune4j.tensor.Tensor;

/**
 * Streams tensors into a safetensors checkpoint without holding the model twice, atomically. Declare the layout first
 * (name, dtype, shape of every entry, in the order the data will come) so the header can be written; then write each
 * tensor's data in that order (F32 values are converted to the entry's dtype, rounding to nearest even for BF16/F16);
 * then {@link #commit()}: every file is fsynced and renamed into place. Closing without a commit deletes the
 * temporary files, so a failed save leaves nothing behind.
 *
 * <p>The header follows the reference layout byte for byte: 8-byte little-endian length, compact JSON
 * ({@code __metadata__} first, holding {@code "format":"pt"} merged with the caller's entries, then the tensors in data
 * order), padded with spaces to a multiple of 8 bytes so the data area starts 8-byte aligned.
 *
 * <p>Sharding ({@link #sharded}) splits entries greedily as Hugging Face does (a shard is closed when the next tensor
 * would push it past the limit; a tensor larger than the limit gets a shard of its own) into
 * {@code model-00001-of-0000N.safetensors} plus {@code model.safetensors.index.json}; a checkpoint that fits one shard is
 * written as plain {@code model.safetensors}. Each file is replaced atomically; to make a whole output folder appear at
 * once, write into {@link AtomicFiles#buildFolder}'s temporary folder.
 */
public final class SafeTensorsWriter implements AutoCloseable {
    private static final int CHUNK = 1 << 20;

    private record Decl(String name, DType dtype, long[] shape, long bytes) {}

    /** One output file: its entries, header and temporary file while writing. */
    private static final class Shard {
        final List<Decl> entries = new ArrayList<>();
        long dataBytes, headerBytes;
        String fileName;
        Path target, tmp;
        FileChannel channel;
        long position;
    }

    private final Path target;       // the file (single) or the folder (sharded)
    private final long maxShardBytes; // 0: one file
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Decl> decls = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private List<Shard> shards;       // set when data starts
    private Decl[] order;
    private Shard[] shardOf;
    private int next;                 // index of the next entry to write
    private boolean committed, failed, closed;
    private final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK); // direct: the channel writes it without another copy
    private final MemorySegment chunkSeg = MemorySegment.ofBuffer(chunk);

    private SafeTensorsWriter(Path target, long maxShardBytes) {
        this.target = target;
        this.maxShardBytes = maxShardBytes;
        metadata.put("format", "pt");
    }

    /** A writer producing the single file {@code file}. */
    public static SafeTensorsWriter create(Path file) {
        return new SafeTensorsWriter(file, 0);
    }

    /**
     * A writer producing Hugging Face shards of at most {@code maxShardBytes} of tensor data each (one larger tensor
     * excepted) in {@code folder}, with {@code model.safetensors.index.json}; or {@code model.safetensors} alone when
     * everything fits one shard.
     */
    public static SafeTensorsWriter sharded(Path folder, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        return new SafeTensorsWriter(folder, maxShardBytes);
    }

    /** Writes {@code tensors} (each in its own dtype, in map order) to {@code file} atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        try (SafeTensorsWriter w = create(file)) {
            if (metadata != null) w.metadata(metadata);
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) w.declare(e.getKey(), e.getValue().dtype(), e.getValue().shape());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) w.write(e.getKey(), e.getValue());
            w.commit();
        }
    }

    // ------------------------------------------------------------------ layout

    /** Adds {@code __metadata__} entries (merged over {@code "format":"pt"}); before the first write. */
    public SafeTensorsWriter metadata(Map<String, String> m) {
        requireDeclaring();
        for (Map.Entry<String, String> e : m.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) throw new IllegalArgumentException("metadata keys and values must not be null: " + e);
            metadata.put(e.getKey(), e.getValue());
        }
        return this;
    }

    /** Declares the next entry; data must later be written in declaration order. */
    public SafeTensorsWriter declare(String name, DType dtype, long... shape) {
        requireDeclaring();
        if (name == null) throw new IllegalArgumentException("tensor name must not be null");
        if (name.equals("__metadata__")) throw new IllegalArgumentException("\"__metadata__\" is reserved and cannot name a tensor");
        if (!names.add(name)) throw new IllegalArgumentException("tensor '" + name + "' is declared twice");
        long n = 1;
        try {
            for (long d : shape) {
                if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dim in shape " + Arrays.toString(shape));
                n = Math.multiplyExact(n, d);
            }
            n = Math.multiplyExact(n, (long) dtype.size);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " x " + dtype + " overflows 64 bits");
        }
        decls.add(new Decl(name, dtype, shape.clone(), n));
        return this;
    }

    /** {@link #declare(String, DType, long...)} with an int shape. */
    public SafeTensorsWriter declare(String name, DType dtype, int... shape) {
        long[] s = new long[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = shape[i];
        return declare(name, dtype, s);
    }

    private void requireDeclaring() {
        if (closed) throw new IllegalStateException("writer for " + target + " is closed");
        if (shards != null) throw new IllegalStateException("the layout of " + target + " is fixed once data is written");
    }

    // ------------------------------------------------------------------ data

    /** Writes the values of the next declared entry {@code name}, converted to its dtype. Shapes must match. */
    public void write(String name, Tensor t) throws IOException {
        Decl d = begin(name);
        long[] ts = new long[t.rank()];
        for (int i = 0; i < ts.length; i++) ts[i] = t.size(i);
        if (!Arrays.equals(ts, d.shape)) {
            throw failed(new IllegalArgumentException("tensor '" + name + "' was declared with shape " + Arrays.toString(d.shape) + " but has shape " + Arrays.toString(ts)));
        }
        guarded(() -> {
            MemorySegment seg = t.segment();
            if (seg != null && t.dtype() == d.dtype && t.isContiguous()) {
                putBytes(seg.asSlice(t.offset() * d.dtype.size, d.bytes));   // same dtype: copy bytes as they are
            } else {
                putValues(t, d.dtype);
            }
            end(d);
        });
    }

    /** Writes exact integer values for the next declared entry (an integer or BOOL dtype). */
    public void writeLongs(String name, long[] values) throws IOException {
        Decl d = begin(name);
        if (d.dtype.floating) {
            throw failed(new IllegalArgumentException("tensor '" + name + "' is declared " + d.dtype + "; writeLongs writes integer and BOOL entries"));
        }
        if ((long) values.length * d.dtype.size != d.bytes) {
            throw failed(new IllegalArgumentException("tensor '" + name + "' needs " + d.bytes / d.dtype.size + " values, got " + values.length));
        }
        guarded(() -> {
            MemorySegment c = chunkSeg;
            int per = CHUNK / d.dtype.size;
            for (int i = 0; i < values.length; i += per) {
                int n = Math.min(per, values.length - i);
                for (int j = 0; j < n; j++) putLong(c, j, d.dtype, values[i + j]);
                flushChunk(n * d.dtype.size);
            }
            end(d);
        });
    }

    /** Writes the raw little-endian bytes of the next declared entry (exactly its byte size). */
    public void writeBytes(String name, MemorySegment bytes) throws IOException {
        Decl d = begin(name);
        if (bytes.byteSize() != d.bytes) {
            throw failed(new IllegalArgumentException("tensor '" + name + "' needs " + d.bytes + " bytes, got " + bytes.byteSize()));
        }
        guarded(() -> {
            putBytes(bytes);
            end(d);
        });
    }

    private static void putLong(MemorySegment c, long j, DType dt, long v) {
        long b = j * dt.size;
        switch (dt) {
            case I64, U64 -> c.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), b, v);
            case I32, U32 -> c.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), b, (int) v);
            case I16, U16 -> c.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), b, (short) v);
            case I8, U8 -> c.set(ValueLayout.JAVA_BYTE, b, (byte) v);
            case BOOL -> c.set(ValueLayout.JAVA_BYTE, b, (byte) (v != 0 ? 1 : 0));
            default -> throw new IllegalArgumentException(dt + " is not an integer dtype");
        }
    }

    /** Marks the writer failed and returns {@code e} for the caller to throw: after a failure only close() is allowed. */
    private <X extends Exception> X failed(X e) {
        failed = true;
        return e;
    }

    private interface Step {
        void run() throws IOException;
    }

    /** Runs {@code step}; any exception marks the writer failed (its temporary files are then only deleted). */
    private void guarded(Step step) throws IOException {
        try {
            step.run();
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private Decl begin(String name) throws IOException {
        if (closed) throw new IllegalStateException("writer for " + target + " is closed");
        if (failed) throw new IllegalStateException("an earlier write to " + target + " failed; close() and start again");
        if (committed) throw new IllegalStateException(target + " is already committed");
        if (shards == null) start();
        if (next >= order.length) {
            throw failed(new IllegalStateException("tensor '" + name + "' was never declared (all " + order.length + " declared tensors are written)"));
        }
        Decl d = order[next];
        if (!d.name.equals(name)) {
            throw failed(new IllegalStateException("expected tensor '" + d.name + "' next (declaration order), got '" + name + "'"
                    + (names.contains(name) ? "" : ", which was never declared")));
        }
        return d;
    }

    private void end(Decl d) {
        Shard s = shardOf[next];
        long expectEnd = s.headerBytes + offsetInShard[next] + d.bytes;
        if (s.position != expectEnd) throw new IllegalStateException("internal: wrote " + s.position + " bytes, expected " + expectEnd);
        next++;
    }

    private long[] offsetInShard;

    /** Fixes the layout: splits into shards, writes every header into its temporary file. */
    private void start() throws IOException {
        order = decls.toArray(new Decl[0]);
        shards = new ArrayList<>();
        shardOf = new Shard[order.length];
        offsetInShard = new long[order.length];
        List<Shard> split = split();
        guarded(() -> {
            Path dir = maxShardBytes > 0 ? target : null;
            if (dir != null) Files.createDirectories(dir);
            for (int i = 0; i < split.size(); i++) {
                Shard s = split.get(i);
                s.fileName = maxShardBytes == 0 ? target.getFileName().toString()
                        : split.size() == 1 ? SafeTensors.MODEL_FILE
                        : String.format("model-%05d-of-%05d.safetensors", i + 1, split.size());
                s.target = maxShardBytes == 0 ? target : dir.resolve(s.fileName);
                s.tmp = AtomicFiles.tempSibling(s.target);
                shards.add(s);
                s.channel = FileChannel.open(s.tmp, StandardOpenOption.WRITE);
                byte[] header = header(s.entries, metadata);
                if (header.length - 8 > SafeTensors.MAX_HEADER_SIZE)
                    throw new SafeTensorsException(s.target, null, "header of " + (header.length - 8) + " bytes exceeds the " + SafeTensors.MAX_HEADER_SIZE + "-byte limit (rule: header size bound)");
                writeAt(s, ByteBuffer.wrap(header));
                s.headerBytes = header.length;
            }
        });
    }

    /**
     * Hugging Face's greedy split (huggingface_hub's split_state_dict_into_shards), or one shard; fills
     * {@link #shardOf} and {@link #offsetInShard} for every entry.
     */
    private List<Shard> split() {
        List<Shard> out = new ArrayList<>();
        Shard cur = new Shard();
        for (int i = 0; i < order.length; i++) {
            Decl d = order[i];
            Shard into;
            if (maxShardBytes > 0 && d.bytes > maxShardBytes) {
                into = new Shard(); // a tensor above the limit gets a shard of its own
                out.add(into);
            } else {
                if (maxShardBytes > 0 && cur.dataBytes + d.bytes > maxShardBytes && !cur.entries.isEmpty()) {
                    out.add(cur);
                    cur = new Shard();
                }
                into = cur;
            }
            shardOf[i] = into;
            offsetInShard[i] = into.dataBytes;
            into.entries.add(d);
            into.dataBytes += d.bytes;
        }
        if (!cur.entries.isEmpty() || out.isEmpty()) out.add(cur);
        return out;
    }

    /** The exact header bytes: length, compact JSON, spaces up to a multiple of 8. */
    static byte[] header(List<Decl> entries, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder("{\"__metadata__\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            Json.quote(sb, e.getKey());
            sb.append(':');
            Json.quote(sb, e.getValue());
        }
        sb.append('}');
        long off = 0;
        for (Decl d : entries) {
            sb.append(',');
            Json.quote(sb, d.name);
            sb.append(":{\"dtype\":\"").append(d.dtype.safetensorsName()).append("\",\"shape\":[");
            for (int i = 0; i < d.shape.length; i++) {
                if (i > 0) sb.append(',');
                sb.append(d.shape[i]);
            }
            sb.append("],\"data_offsets\":[").append(off).append(',').append(off + d.bytes).append("]}");
            off += d.bytes;
        }
        sb.append('}');
        byte[] json = sb.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.array();
    }

    private void writeAt(Shard s, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) s.position += s.channel.write(buf, s.position);
    }

    private void putBytes(MemorySegment src) throws IOException {
        Shard s = shardOf[next];
        long done = 0, n = src.byteSize();
        while (done < n) {
            if (src.isNative()) { // off-heap or mapped: the channel reads it in place
                long len = Math.min(64L << 20, n - done);
                writeAt(s, src.asSlice(done, len).asByteBuffer());
                done += len;
            } else {
                int len = (int) Math.min(CHUNK, n - done);
                MemorySegment.copy(src, done, chunkSeg, 0, len);
                flushChunk(len);
                done += len;
            }
        }
    }

    private void flushChunk(int len) throws IOException {
        chunk.clear().limit(len);
        writeAt(shardOf[next], chunk);
    }

    /** Converts values to {@code dt} chunk by chunk, in row-major order. */
    private void putValues(Tensor t, DType dt) throws IOException {
        long n = t.numel();
        int per = CHUNK / dt.size;
        boolean contiguous = t.isContiguous();
        float[] arr = t.storage() instanceof ArrayStorage(float[] a) ? a : null;
        SegmentStorage seg = t.storage() instanceof SegmentStorage ss ? ss : null;
        long base = t.offset();
        MemorySegment c = chunkSeg;
        for (long i = 0; i < n; i += per) {
            int m = (int) Math.min(per, n - i);
            if (contiguous && arr != null) {
                int from = (int) (base + i);
                switch (dt) {
                    case F32 -> {
                        for (int j = 0; j < m; j++) c.set(F32_LE, 4L * j, arr[from + j]);
                    }
                    case BF16 -> {
                        for (int j = 0; j < m; j++) c.set(I16_LE, 2L * j, DType.floatToBf16(arr[from + j]));
                    }
                    case F16 -> {
                        for (int j = 0; j < m; j++) c.set(I16_LE, 2L * j, Float.floatToFloat16(arr[from + j]));
                    }
                    default -> {
                        for (int j = 0; j < m; j++) dt.write(c, j, arr[from + j]);
                    }
                }
            } else if (contiguous && seg != null) {
                for (int j = 0; j < m; j++) dt.write(c, j, seg.getFloat(base + i + j));
            } else {
                for (int j = 0; j < m; j++) dt.write(c, j, t.getFlat(i + j));
            }
            flushChunk(m * dt.size);
        }
    }

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // ------------------------------------------------------------------ commit / abort

    /**
     * Fsyncs every file and renames it into place; for shards, writes the index last (also atomically). Every
     * declared tensor must have been written.
     */
    public void commit() throws IOException {
        if (closed || committed) throw new IllegalStateException("writer for " + target + " is " + (closed ? "closed" : "already committed"));
        if (failed) throw new IllegalStateException("an earlier write to " + target + " failed; nothing was committed");
        if (shards == null) start();
        if (next != order.length) {
            throw failed(new IllegalStateException("only " + next + " of " + order.length + " declared tensors were written to " + target
                    + " (next: '" + order[next].name + "')"));
        }
        guarded(() -> {
            for (Shard s : shards) {
                s.channel.force(true);
                s.channel.close();
            }
            for (Shard s : shards) AtomicFiles.commit(s.tmp, s.target);
            if (maxShardBytes > 0) {
                Path index = target.resolve(SafeTensors.INDEX_FILE);
                if (shards.size() > 1) {
                    Map<String, Object> weightMap = new TreeMap<>();
                    long total = 0;
                    for (Shard s : shards) {
                        for (Decl d : s.entries) weightMap.put(d.name, s.fileName);
                        total += s.dataBytes;
                    }
                    Map<String, Object> meta = new LinkedHashMap<>();
                    meta.put("total_size", total);
                    Map<String, Object> idx = new LinkedHashMap<>();
                    idx.put("metadata", meta);
                    idx.put("weight_map", weightMap);
                    AtomicFiles.writeString(index, Json.writePretty(idx, 2) + "\n");
                } else {
                    Files.deleteIfExists(index); // a stale index would shadow the new single file
                }
            }
            committed = true;
        });
    }

    /** The files written (after {@link #commit()}): the checkpoint file or the shards, then the index when sharded. */
    public List<Path> files() {
        List<Path> out = new ArrayList<>();
        if (shards != null) for (Shard s : shards) out.add(s.target);
        if (maxShardBytes > 0 && shards != null && shards.size() > 1) out.add(target.resolve(SafeTensors.INDEX_FILE));
        return out;
    }

    /** Without a successful {@link #commit()}, deletes the temporary files: no output appears. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        if (committed || shards == null) return;
        IOException first = null;
        for (Shard s : shards) {
            try {
                if (s.channel != null) s.channel.close();
            } catch (IOException e) {
                if (first == null) first = e;
            }
            try {
                if (s.tmp != null) Files.deleteIfExists(s.tmp);
            } catch (IOException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
