package org.prune4j.io.safetensors;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;
import org.prune4j.tensor.SegmentStorage;
import org.prune4j.tensor.Tensor;

/**
 * A safetensors checkpoint opened by memory-mapping: one file, or the shards named by a
 * {@code model.safetensors.index.json}. Opening reads and validates only the headers; tensors are zero-copy
 * read-only views over the mapped bytes, so a checkpoint larger than RAM opens in milliseconds and pages in only
 * what is touched. Every violation of the format is a {@link SafeTensorsException} naming the file, the tensor and
 * the rule.
 *
 * <p>The mapping lives in a shared {@link Arena}: {@link #close()} unmaps everything, and every tensor handed out
 * by {@link #get} dies with it (touching one afterwards throws {@link IllegalStateException}). Copy what must
 * outlive the checkpoint ({@link Tensor#copy()}).
 */
public final class SafeTensors implements AutoCloseable {
    /** Largest header the reader accepts, as in the reference implementation. */
    public static final long MAX_HEADER_SIZE = 100_000_000L;
    /** Name of the single-file checkpoint in a model folder. */
    public static final String MODEL_FILE = "model.safetensors";
    /**
     * Largest index file accepted: real indexes are a few hundred KB (a weight_map line per tensor), and a bound keeps
     * a hostile index from exhausting memory while parsed.
     */
    public static final long MAX_INDEX_SIZE = 16L << 20;
    /** Name of the sharded checkpoint index in a model folder. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private record Entry(TensorInfo info, MemorySegment fileSegment, long dataStart) {}

    private final Path path;
    private final Arena arena;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final List<Path> files;

    private SafeTensors(Path path, Arena arena, Map<String, Entry> entries, Map<String, String> metadata, List<Path> files) {
        this.path = path;
        this.arena = arena;
        this.entries = entries;
        this.metadata = metadata;
        this.files = files;
    }

    /**
     * Opens a {@code .safetensors} file, a {@code model.safetensors.index.json}, or a model folder (its index when
     * present, else its {@code model.safetensors}).
     */
    public static SafeTensors open(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            Path index = p.resolve(INDEX_FILE), single = p.resolve(MODEL_FILE);
            if (Files.isRegularFile(index)) return openIndex(index);
            if (Files.isRegularFile(single)) return openFile(single);
            throw new SafeTensorsException(p, null, "folder holds neither " + MODEL_FILE + " nor " + INDEX_FILE + " (rule: a model folder needs a safetensors checkpoint)");
        }
        if (!Files.exists(p)) throw new NoSuchFileException(p.toString());
        if (p.getFileName().toString().endsWith(".json")) return openIndex(p);
        return openFile(p);
    }

    private static SafeTensors openFile(Path file) throws IOException {
        ParsedFile pf = parseFile(file); // validate before mapping anything
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try {
            Map<String, Entry> entries = new LinkedHashMap<>();
            map(pf, arena, entries);
            ok = true;
            return new SafeTensors(file, arena, entries, pf.metadata, List.of(file));
        } finally {
            if (!ok) arena.close();
        }
    }

    /** Reads and validates {@code file}'s header (no mapping yet). */
    private static ParsedFile parseFile(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(ch, ch.size(), file);
        }
    }

    /** Maps a validated file into {@code arena} and adds its entries in file order. */
    private static void map(ParsedFile pf, Arena arena, Map<String, Entry> into) throws IOException {
        try (FileChannel ch = FileChannel.open(pf.file, StandardOpenOption.READ)) {
            if (ch.size() != pf.size)
                throw new SafeTensorsException(pf.file, null, "changed size while being opened (" + pf.size + " -> " + ch.size() + " bytes) (rule: the file must not change while read)");
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, pf.size, arena);
            for (TensorInfo t : pf.sorted) {
                if (into.containsKey(t.name()))
                    throw new SafeTensorsException(pf.file, t.name(), "also appears in " + into.get(t.name()).info().file() + " (rule: no duplicate tensor names across shards)");
                into.put(t.name(), new Entry(t, seg, pf.dataStart));
            }
        }
    }

    private record ParsedFile(Path file, long size, List<TensorInfo> sorted, Map<String, String> metadata, long dataStart) {}

    /** The header rules that need the file: 8-byte length, 100 MB bound, header inside the file, data area covered. */
    private static ParsedFile readHeader(FileChannel ch, long size, Path file) throws IOException {
        if (size < 8)
            throw new SafeTensorsException(file, null, "file of " + size + " bytes is too small to hold the 8-byte header length (rule: header too small; truncated file?)");
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0, file);
        long n = lenBuf.getLong(0);
        if (n < 0 || n > MAX_HEADER_SIZE)
            throw new SafeTensorsException(file, null, "header length " + Long.toUnsignedString(n) + " exceeds the " + MAX_HEADER_SIZE + "-byte limit (rule: header size bound)");
        if (n > size - 8)
            throw new SafeTensorsException(file, null, "header length " + n + " runs past the end of the " + size + "-byte file (rule: header within the file; truncated file?)");
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        readFully(ch, hb, 8, file);
        HeaderParser.Parsed parsed = HeaderParser.parse(hb.array(), file);
        List<TensorInfo> sorted = HeaderParser.validateLayout(parsed.entries(), file);
        long dataLen = sorted.isEmpty() ? 0 : sorted.getLast().end();
        long available = size - 8 - n;
        if (dataLen != available) {
            if (dataLen > available)
                throw new SafeTensorsException(file, sorted.getLast().name(), "tensors need " + dataLen + " bytes of data but the file holds " + available
                        + " after the header (rule: offsets must lie in the data area; truncated file?)");
            throw new SafeTensorsException(file, null, "tensors cover " + dataLen + " bytes of data but the file holds " + available
                    + " after the header (rule: the data area must be fully covered)");
        }
        // names in file order (by offset), as the reference iterates
        Map<String, String> meta = parsed.metadata() == null ? Map.of() : Collections.unmodifiableMap(parsed.metadata());
        return new ParsedFile(file, size, sorted, meta, 8 + n);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long at, Path file) throws IOException {
        long p = at;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, p);
            if (r < 0) throw new SafeTensorsException(file, null, "file ended while reading the header (rule: truncated file)");
            p += r;
        }
    }

    private static SafeTensors openIndex(Path index) throws IOException {
        long size = Files.size(index);
        if (size > MAX_INDEX_SIZE)
            throw new SafeTensorsException(index, null, "index of " + size + " bytes exceeds the " + MAX_INDEX_SIZE + "-byte limit (rule: index size bound)");
        Map<String, Object> root;
        try {
            root = Json.parseObject(Files.readString(index, StandardCharsets.UTF_8), true);
        } catch (JsonException e) {
            throw new SafeTensorsException(index, null, "not valid JSON: " + e.getMessage() + " (rule: index must be a JSON object)", e);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new SafeTensorsException(index, null, "not valid UTF-8 (rule: index must be UTF-8 JSON)", e);
        }
        if (!(root.get("weight_map") instanceof Map<?, ?> wm))
            throw new SafeTensorsException(index, null, "key \"weight_map\" must be an object mapping tensor names to shard files, found "
                    + Json.typeName(root.get("weight_map")) + " (rule: index needs a weight_map)");
        Path dir = index.toAbsolutePath().getParent();
        Map<String, String> weightMap = new LinkedHashMap<>();
        Set<String> shardNames = new TreeSet<>();
        for (Map.Entry<?, ?> e : wm.entrySet()) {
            String name = (String) e.getKey();
            if (!(e.getValue() instanceof String f))
                throw new SafeTensorsException(index, name, "weight_map value must be a shard file name, found " + Json.typeName(e.getValue()) + " (rule: index weight_map)");
            if (f.isEmpty() || f.contains("/") || f.contains("\\") || f.equals(".") || f.equals("..") || f.indexOf('\0') >= 0)
                throw new SafeTensorsException(index, name, "shard \"" + SafeTensorsException.printable(f) + "\" is not a plain file name in the index's folder (rule: shards live beside the index)");
            weightMap.put(name, f);
            shardNames.add(f);
        }
        List<ParsedFile> parsed = new ArrayList<>();
        Map<String, Path> owner = new LinkedHashMap<>();
        for (String s : shardNames) {
            Path shard = dir.resolve(s);
            if (!Files.isRegularFile(shard))
                throw new SafeTensorsException(index, null, "shard " + s + " named in weight_map does not exist in " + dir + " (rule: every shard must be present)");
            ParsedFile pf = parseFile(shard);
            for (TensorInfo t : pf.sorted) {
                Path before = owner.putIfAbsent(t.name(), shard);
                if (before != null)
                    throw new SafeTensorsException(shard, t.name(), "also appears in " + before + " (rule: no duplicate tensor names across shards)");
            }
            parsed.add(pf);
        }
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            Path in = owner.get(e.getKey());
            if (in == null || !in.getFileName().toString().equals(e.getValue()))
                throw new SafeTensorsException(index, e.getKey(), "weight_map places it in " + e.getValue() + ", which does not hold it"
                        + (in == null ? "" : " (it is in " + in.getFileName() + ")") + " (rule: index must match its shards)");
        }
        Arena arena = Arena.ofShared();
        boolean ok = false;
        try {
            Map<String, Entry> entries = new LinkedHashMap<>();
            List<Path> files = new ArrayList<>();
            for (ParsedFile pf : parsed) {
                map(pf, arena, entries);
                files.add(pf.file);
            }
            ok = true;
            return new SafeTensors(index, arena, entries, parsed.isEmpty() ? Map.of() : parsed.getFirst().metadata, List.copyOf(files));
        } finally {
            if (!ok) arena.close();
        }
    }

    // ------------------------------------------------------------------ queries

    /** Tensor names: per file in data-offset order; shards in file-name order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(new LinkedHashSet<>(entries.keySet()));
    }

    /** True when the checkpoint holds {@code name}. */
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Number of tensors. */
    public int size() {
        return entries.size();
    }

    /** Where and how {@code name} is stored; throws naming the checkpoint when it is absent. */
    public TensorInfo info(String name) throws SafeTensorsException {
        return entry(name).info();
    }

    /** Header entries of every tensor, in {@link #names()} order. */
    public List<TensorInfo> infos() {
        List<TensorInfo> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) out.add(e.info());
        return out;
    }

    private Entry entry(String name) throws SafeTensorsException {
        if (!arena.scope().isAlive()) throw new IllegalStateException(path + " is closed; its tensors are no longer mapped");
        Entry e = entries.get(name);
        if (e == null) throw new SafeTensorsException(path, name, "not found in the checkpoint (" + entries.size() + " tensors)");
        return e;
    }

    /** The raw little-endian bytes of {@code name} (a read-only slice of the mapping; dies with {@link #close()}). */
    public MemorySegment bytes(String name) throws SafeTensorsException {
        Entry e = entry(name);
        TensorInfo t = e.info();
        return e.fileSegment().asSlice(e.dataStart() + t.begin(), t.byteSize());
    }

    /**
     * A zero-copy read-only view of {@code name}: {@link SegmentStorage} over the mapped bytes in the stored dtype
     * (F32, BF16, F16 as weights; any other dtype readable as float values). Valid until {@link #close()}.
     */
    public Tensor get(String name) throws SafeTensorsException {
        Entry e = entry(name);
        TensorInfo t = e.info();
        long[] shape = t.shape();
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            if (shape[i] > Integer.MAX_VALUE)
                throw new SafeTensorsException(t.file(), name, "dim " + i + " of shape " + Arrays.toString(shape) + " exceeds " + Integer.MAX_VALUE + ", the largest dim a prune4j tensor has");
            s[i] = (int) shape[i];
        }
        return Tensor.of(new SegmentStorage(bytes(name), t.dtype()), s);
    }

    /** Exact integer values of an integer or BOOL tensor (I64, U64 wrapping above 2^63, I32, U32, I16, U16, I8, U8, BOOL). */
    public long[] getLongs(String name) throws SafeTensorsException {
        Entry e = entry(name);
        TensorInfo t = e.info();
        if (t.dtype().floating)
            throw new SafeTensorsException(t.file(), name, "is " + t.dtype() + "; getLongs reads integer and BOOL tensors (use get for floats)");
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8)
            throw new SafeTensorsException(t.file(), name, n + " elements do not fit one Java array");
        MemorySegment seg = bytes(name);
        long[] out = new long[(int) n];
        for (int i = 0; i < out.length; i++) out[i] = t.dtype().readLong(seg, i);
        return out;
    }

    /** The {@code __metadata__} map (empty when absent); for a sharded checkpoint, the first shard's. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** What was opened: the file, or the index of a sharded checkpoint. */
    public Path path() {
        return path;
    }

    /** The safetensors files mapped (one, or the shards in name order). */
    public List<Path> files() {
        return files;
    }

    /** Total bytes of tensor data. */
    public long dataBytes() {
        long s = 0;
        for (Entry e : entries.values()) s += e.info().byteSize();
        return s;
    }

    /** Unmaps the files. Every tensor view handed out becomes unusable (accessing it throws IllegalStateException). */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}
