package org.prune4j.io.gguf;

import org.prune4j.io.AtomicFiles;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a GGUF v3 file (the format llama.cpp loads): header, typed key/value metadata, tensor infos, then the
 * tensor data, each block aligned to {@link #ALIGNMENT} bytes. Tensors are produced one at a time while the file is
 * written, so only one is ever in memory; the file appears atomically or not at all.
 *
 * <p>Layout (all little-endian): magic "GGUF", u32 version, u64 tensor count, u64 kv count; each kv is a string key,
 * a u32 value type and the value; each tensor info is a string name, u32 n_dims, u64 dims (ggml order: the
 * fastest-varying dim first, so a PyTorch [out, in] matrix is [in, out]), u32 ggml type, u64 offset into the data.
 */
public final class GgufWriter {
    /** The data alignment llama.cpp assumes when {@code general.alignment} is absent. */
    public static final int ALIGNMENT = 32;
    /** GGUF format version written. */
    public static final int VERSION = 3;

    // gguf value types
    static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    /** Storage types of the tensors written (ggml_type ids). */
    public enum Type {
        F32(0, 4), F16(1, 2);
        final int id, bytes;
        Type(int id, int bytes) { this.id = id; this.bytes = bytes; }
    }

    /** Produces a tensor's values in row-major order when the writer reaches it. */
    @FunctionalInterface
    public interface Values {
        float[] get() throws IOException;
    }

    private record Entry(String name, long[] dims, Type type, Values values) {
        long numel() {
            long n = 1;
            for (long d : dims) n *= d;
            return n;
        }
        long byteSize() { return numel() * type.bytes; }
    }

    private final Map<String, byte[]> kv = new LinkedHashMap<>();
    private final List<Entry> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new LinkedHashSet<>();

    public GgufWriter putString(String key, String v) { return put(key, STRING, b -> b.string(v)); }
    public GgufWriter putU32(String key, int v) { return put(key, UINT32, b -> b.i32(v)); }
    public GgufWriter putF32(String key, float v) { return put(key, FLOAT32, b -> b.f32(v)); }
    public GgufWriter putBool(String key, boolean v) { return put(key, BOOL, b -> b.u8(v ? 1 : 0)); }

    public GgufWriter putU32s(String key, int[] v) {
        return put(key, ARRAY, b -> { b.i32(UINT32); b.i64(v.length); for (int x : v) b.i32(x); });
    }

    public GgufWriter putI32s(String key, int[] v) {
        return put(key, ARRAY, b -> { b.i32(INT32); b.i64(v.length); for (int x : v) b.i32(x); });
    }

    public GgufWriter putF32s(String key, float[] v) {
        return put(key, ARRAY, b -> { b.i32(FLOAT32); b.i64(v.length); for (float x : v) b.f32(x); });
    }

    public GgufWriter putStrings(String key, List<String> v) {
        return put(key, ARRAY, b -> { b.i32(STRING); b.i64(v.size()); for (String s : v) b.string(s); });
    }

    /** Adds a tensor; {@code ggmlDims} fastest-varying first (reverse of the PyTorch shape). */
    public GgufWriter addTensor(String name, long[] ggmlDims, Type type, Values values) {
        if (!tensorNames.add(name)) throw new IllegalArgumentException("tensor " + name + " added twice");
        if (ggmlDims.length < 1 || ggmlDims.length > 4) throw new IllegalArgumentException("tensor " + name + ": ggml allows 1 to 4 dims, got " + ggmlDims.length);
        tensors.add(new Entry(name, ggmlDims.clone(), type, values));
        return this;
    }

    /** Writes everything to {@code target} atomically. */
    public void write(Path target) throws IOException {
        AtomicFiles.write(target, raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 20);
            Bytes h = new Bytes();
            h.u8('G'); h.u8('G'); h.u8('U'); h.u8('F');
            h.i32(VERSION);
            h.i64(tensors.size());
            h.i64(kv.size());
            for (byte[] e : kv.values()) h.raw(e);
            long offset = 0;
            for (Entry t : tensors) {
                h.string(t.name);
                h.i32(t.dims.length);
                for (long d : t.dims) h.i64(d);
                h.i32(t.type.id);
                h.i64(offset);
                offset = align(offset + t.byteSize());
            }
            byte[] header = h.toByteArray();
            out.write(header);
            out.write(new byte[(int) (align(header.length) - header.length)]);
            for (Entry t : tensors) {
                float[] v = t.values.get();
                if (v.length != t.numel())
                    throw new IOException("tensor " + t.name + ": " + v.length + " values for dims " + java.util.Arrays.toString(t.dims));
                writeData(out, v, t.type);
                long size = t.byteSize();
                out.write(new byte[(int) (align(size) - size)]);
            }
            out.flush();
        });
    }

    private static void writeData(OutputStream out, float[] v, Type type) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            if (buf.remaining() < 4) { out.write(buf.array(), 0, buf.position()); buf.clear(); }
            if (type == Type.F32) buf.putFloat(x);
            else buf.putShort(Float.floatToFloat16(x));
        }
        out.write(buf.array(), 0, buf.position());
    }

    static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private GgufWriter put(String key, int type, java.util.function.Consumer<Bytes> value) {
        if (kv.containsKey(key)) throw new IllegalArgumentException("metadata key " + key + " set twice");
        Bytes b = new Bytes();
        b.string(key);
        b.i32(type);
        value.accept(b);
        kv.put(key, b.toByteArray());
        return this;
    }

    /** A little-endian byte builder for the header. */
    private static final class Bytes extends ByteArrayOutputStream {
        void u8(int v) { write(v); }
        void i32(int v) { for (int i = 0; i < 4; i++) write(v >>> (8 * i)); }
        void i64(long v) { for (int i = 0; i < 8; i++) write((int) (v >>> (8 * i))); }
        void f32(float v) { i32(Float.floatToRawIntBits(v)); }
        void raw(byte[] b) { write(b, 0, b.length); }
        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            raw(b);
        }
    }
}
