package org.prune4j.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/** The writer: exact bytes, round trips, rounding, sharding, atomicity, and an independent numpy reader. */
class SafeTensorsWriterTest {
    @TempDir Path dir;

    private List<String> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void headerBytesAreExactlyTheReferenceLayout() throws IOException {
        // safetensors' test_serialization tensor, plus our __metadata__ {"format":"pt"}
        Path f = dir.resolve("a.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("attn.0", Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 1, 2, 3));
        SafeTensorsWriter.write(f, m, null);
        String json = "{\"__metadata__\":{\"format\":\"pt\"},\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        int padded = (json.length() + 7) / 8 * 8;
        ByteBuffer expect = ByteBuffer.allocate(8 + padded + 24).order(ByteOrder.LITTLE_ENDIAN);
        expect.putLong(padded).put(json.getBytes(StandardCharsets.US_ASCII));
        while (expect.position() < 8 + padded) expect.put((byte) ' ');
        for (float v : new float[] {0, 1, 2, 3, 4, 5}) expect.putFloat(v);
        assertArrayEquals(expect.array(), Files.readAllBytes(f));
        assertEquals(0, (8 + padded) % 8); // the data area starts 8-byte aligned
    }

    @Test
    void emptyCheckpointAndCallerMetadata() throws IOException {
        Path f = dir.resolve("e.safetensors");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "q\"uote\n");
        SafeTensorsWriter.write(f, Map.of(), meta);
        String json = "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"q\\\"uote\\n\"}}";
        byte[] bytes = Files.readAllBytes(f);
        int padded = (json.length() + 7) / 8 * 8;
        assertEquals(8 + padded, bytes.length);
        assertEquals(padded, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertEquals(json + " ".repeat(padded - json.length()), new String(bytes, 8, padded, StandardCharsets.UTF_8));
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(meta, st.metadata());
        }
    }

    @Test
    void bf16AndF16RoundToNearestEven() throws IOException {
        float one = 1f;
        float tieDown = Float.intBitsToFloat(Float.floatToIntBits(one) + 0x8000);  // halfway 1.0 .. next bf16: stays 1.0 (even)
        float tieUp = Float.intBitsToFloat(Float.floatToIntBits(one) + 0x18000);   // halfway odd .. even: rounds up
        float above = Float.intBitsToFloat(Float.floatToIntBits(one) + 0x8001);    // above half: up
        float h = 1f + 0x1p-11f;  // F16 has 10 mantissa bits: 1 + 2^-11 is a tie, stays 1.0
        float h3 = 1f + 3 * 0x1p-11f; // tie between 1+2^-10 (odd) and 1+2^-9 (even): up
        Path f = dir.resolve("r.safetensors");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("b", DType.BF16, 4).declare("h", DType.F16, 2);
            w.write("b", Tensor.of(new float[] {one, tieDown, tieUp, above}, 4));
            w.write("h", Tensor.of(new float[] {h, h3}, 2));
            w.commit();
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            MemorySegment b = st.bytes("b");
            short[] bits = new short[4];
            for (int i = 0; i < 4; i++) bits[i] = b.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2L * i);
            assertArrayEquals(new short[] {0x3f80, 0x3f80, 0x3f82, 0x3f81}, bits);
            assertArrayEquals(new float[] {1f, 1f + 0x1p-9f}, st.get("h").toFloatArray());
        }
    }

    @Test
    void roundTripKeepsEveryByteAndTheMetadata() throws IOException {
        // random tensors of every writable dtype and shape; write -> read -> write gives identical files
        qt().withExamples(25).forAll(longs().all(), integers().between(0, 6)).checkAssert((seed, count) -> {
            try {
                SplittableRandom r = new SplittableRandom(seed);
                DType[] types = {DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32, DType.U8, DType.BOOL, DType.F64, DType.I8};
                Path a = dir.resolve("a-" + seed + ".safetensors"), b = dir.resolve("b-" + seed + ".safetensors");
                Map<String, long[]> ints = new LinkedHashMap<>();
                try (Arena arena = Arena.ofConfined(); SafeTensorsWriter w = SafeTensorsWriter.create(a)) {
                    w.metadata(Map.of("seed", Long.toString(seed)));
                    List<Object[]> data = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        DType dt = types[r.nextInt(types.length)];
                        int rank = r.nextInt(4);
                        int[] shape = new int[rank];
                        for (int k = 0; k < rank; k++) shape[k] = r.nextInt(5);
                        String name = "t" + i + (r.nextBoolean() ? ".\u00e9\u4e2d" : "");
                        w.declare(name, dt, shape);
                        data.add(new Object[] {name, dt, shape});
                    }
                    for (Object[] d : data) {
                        String name = (String) d[0];
                        DType dt = (DType) d[1];
                        int[] shape = (int[]) d[2];
                        int n = (int) org.prune4j.tensor.Shapes.numel(shape);
                        if (dt.floating) {
                            w.write(name, Tensor.randn(r.nextLong(), 3f, shape));
                        } else {
                            long[] v = new long[n];
                            for (int k = 0; k < n; k++) v[k] = dt == DType.BOOL ? r.nextInt(2) : dt == DType.U8 ? r.nextInt(256) : dt == DType.I8 ? r.nextInt(256) - 128 : r.nextLong() >> (dt == DType.I32 ? 33 : 0);
                            ints.put(name, v);
                            w.writeLongs(name, v);
                        }
                    }
                    w.commit();
                }
                Map<String, Tensor> copy = new LinkedHashMap<>();
                try (SafeTensors st = SafeTensors.open(a)) {
                    for (String n : st.names()) copy.put(n, st.get(n));
                    for (Map.Entry<String, long[]> e : ints.entrySet()) assertArrayEquals(e.getValue(), st.getLongs(e.getKey()), e.getKey());
                    SafeTensorsWriter.write(b, copy, st.metadata());
                    assertEquals(Map.of("format", "pt", "seed", Long.toString(seed)), st.metadata());
                }
                assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    @Test
    void roundTripOfRealCheckpoints() throws IOException {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        for (String model : List.of("stories260K", "tiny-qkvbias-bf16", "tiny-gqa")) {
            Path src = SharedData.root().get().resolve("models/" + model + "/model.safetensors");
            Path out = dir.resolve(model + ".safetensors");
            try (SafeTensors st = SafeTensors.open(src)) {
                Map<String, Tensor> all = new LinkedHashMap<>();
                for (String n : st.names()) all.put(n, st.get(n));
                SafeTensorsWriter.write(out, all, st.metadata());
                try (SafeTensors back = SafeTensors.open(out)) {
                    assertEquals(List.copyOf(st.names()), List.copyOf(back.names()));
                    assertEquals(st.metadata(), back.metadata());
                    for (String n : st.names()) {
                        assertEquals(st.info(n).dtype(), back.info(n).dtype());
                        assertArrayEquals(st.info(n).shape(), back.info(n).shape());
                        assertEquals(-1L, st.bytes(n).mismatch(back.bytes(n)), n);
                    }
                }
            }
        }
    }

    @Test
    void convertsF32ToTheDeclaredDtypeFromAnyLayout() throws IOException {
        Tensor base = Tensor.randn(7, 1f, 3, 4);
        Tensor transposed = base.t(); // non-contiguous [4, 3]
        Path f = dir.resolve("c.safetensors");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("t", DType.F32, 4, 3).declare("b", DType.BF16, 4, 3);
            w.write("t", transposed);
            w.write("b", transposed);
            w.commit();
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertArrayEquals(transposed.toFloatArray(), st.get("t").toFloatArray());
            float[] b = st.get("b").toFloatArray(), src = transposed.toFloatArray();
            for (int i = 0; i < b.length; i++) assertEquals(DType.bf16ToFloat(DType.floatToBf16(src[i])), b[i]);
        }
    }

    @Test
    void shardsLikeHuggingFace() throws IOException {
        Path out = dir.resolve("sharded");
        // tensor sizes 40, 40, 100 (above the 64-byte limit), 16, 40
        long[] sizes = {40, 40, 100, 16, 40};
        try (SafeTensorsWriter w = SafeTensorsWriter.sharded(out, 64)) {
            for (int i = 0; i < sizes.length; i++) w.declare("w" + i, DType.U8, sizes[i]);
            for (int i = 0; i < sizes.length; i++) {
                long[] v = new long[(int) sizes[i]];
                java.util.Arrays.fill(v, i + 1);
                w.writeLongs("w" + i, v);
            }
            w.commit();
        }
        // huggingface_hub's greedy rule: w0 opens shard A; w1 would make 80 > 64 -> A is appended (1), w1 opens B;
        // w2 (100 > 64) gets its own shard, appended at once (2); w3 joins B (56); w4 would make 96 -> B appended (3),
        // w4 opens C, appended at the end (4)
        assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors", "model-00003-of-00004.safetensors",
                "model-00004-of-00004.safetensors", "model.safetensors.index.json"), filesIn(out));
        Map<String, Object> idx = Json.parseObject(Files.readString(out.resolve("model.safetensors.index.json")), true);
        assertEquals(Map.of("total_size", 236L), idx.get("metadata"));
        Map<String, Object> expectMap = new LinkedHashMap<>();
        expectMap.put("w0", "model-00001-of-00004.safetensors");
        expectMap.put("w1", "model-00003-of-00004.safetensors");
        expectMap.put("w2", "model-00002-of-00004.safetensors");
        expectMap.put("w3", "model-00003-of-00004.safetensors");
        expectMap.put("w4", "model-00004-of-00004.safetensors");
        assertEquals(expectMap, idx.get("weight_map"));
        String indexText = Files.readString(out.resolve("model.safetensors.index.json")); // as json.dumps(indent=2, sort_keys=True)
        assertTrue(indexText.startsWith("{\n  \"metadata\": {\n    \"total_size\": 236\n  },\n  \"weight_map\": {\n    \"w0\": \"model-00001-of-00004.safetensors\",\n"), indexText);
        assertTrue(indexText.endsWith("\"w4\": \"model-00004-of-00004.safetensors\"\n  }\n}\n"), indexText);
        try (SafeTensors st = SafeTensors.open(out)) {
            for (int i = 0; i < sizes.length; i++) {
                long[] v = st.getLongs("w" + i);
                assertEquals(sizes[i], v.length);
                for (long x : v) assertEquals(i + 1, x);
            }
        }
        // everything fitting one shard gives plain model.safetensors (and removes a stale index)
        try (SafeTensorsWriter w = SafeTensorsWriter.sharded(out, 1000)) {
            w.declare("x", DType.U8, 3);
            w.writeLongs("x", new long[] {1, 2, 3});
            w.commit();
        }
        assertFalse(Files.exists(out.resolve("model.safetensors.index.json")));
        try (SafeTensors st = SafeTensors.open(out)) {
            assertEquals(out.resolve("model.safetensors"), st.path());
        }
    }

    @Test
    void closingWithoutCommitLeavesNothing() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        Files.writeString(f, "previous content");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("a", DType.F32, 2).declare("b", DType.F32, 2);
            w.write("a", Tensor.of(new float[] {1, 2}, 2));
            // crash before b and before commit
        }
        assertEquals(List.of("keep.safetensors"), filesIn(dir));
        assertEquals("previous content", Files.readString(f));

        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("a", DType.F32, 2).declare("b", DType.F32, 2);
            assertThrows(IllegalStateException.class, () -> w.write("b", Tensor.of(new float[] {1, 2}, 2))); // out of order
            assertThrows(IllegalStateException.class, w::commit);
        }
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("a", DType.F32, 2);
            assertThrows(IllegalArgumentException.class, () -> w.write("a", Tensor.of(new float[] {1, 2, 3}, 3)));
        }
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("a", DType.F32, 2);
            assertThrows(IllegalStateException.class, w::commit); // a never written
        }
        Path sharded = dir.resolve("s");
        try (SafeTensorsWriter w = SafeTensorsWriter.sharded(sharded, 8)) {
            w.declare("a", DType.F32, 2).declare("b", DType.F32, 2);
            w.write("a", Tensor.of(new float[] {1, 2}, 2));
        }
        assertEquals(List.of(), filesIn(sharded));
        assertEquals(List.of("keep.safetensors", "s"), filesIn(dir));
        assertEquals("previous content", Files.readString(f));
        assertThrows(IllegalArgumentException.class, () -> SafeTensorsWriter.create(f).declare("x", DType.F32, 1).declare("x", DType.F32, 1));
    }

    /** An independent reader: Python's json + numpy parse what we wrote (skipped without python3 and numpy). */
    @Test
    void numpyReadsWhatWeWrite() throws Exception {
        Path f = dir.resolve("np.safetensors");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f)) {
            w.declare("w.f32", DType.F32, 2, 3).declare("w.bf16", DType.BF16, 3).declare("w.f16", DType.F16, 2).declare("ids", DType.I64, 2);
            w.write("w.f32", Tensor.of(new float[] {0.5f, -1f, 2f, 3.25f, 1e-3f, -7f}, 2, 3));
            w.write("w.bf16", Tensor.of(new float[] {1f, -2.5f, 3.140625f}, 3));
            w.write("w.f16", Tensor.of(new float[] {0.5f, 65504f}, 2));
            w.writeLongs("ids", new long[] {-1, 1L << 40});
            w.commit();
        }
        String script = """
                import json, struct, sys
                import numpy as np
                b = open(sys.argv[1], 'rb').read()
                n = struct.unpack('<Q', b[:8])[0]
                assert n % 8 == 0, n
                h = json.loads(b[8:8 + n].decode('utf-8'))
                assert h['__metadata__'] == {'format': 'pt'}, h
                data = b[8 + n:]
                dt = {'F32': '<f4', 'F16': '<f2', 'I64': '<i8'}
                out = []
                end = 0
                for k, v in sorted(((k, v) for k, v in h.items() if k != '__metadata__'), key=lambda kv: kv[1]['data_offsets']):
                    s, e = v['data_offsets']
                    assert s == end, (k, s, end)
                    end = e
                    raw = data[s:e]
                    if v['dtype'] == 'BF16':
                        a = (np.frombuffer(raw, '<u2').astype('<u4') << 16).view('<f4')
                    else:
                        a = np.frombuffer(raw, dt[v['dtype']])
                    a = a.reshape(v['shape'])
                    out.append('%s %s %s' % (k, list(a.shape), ' '.join(repr(float(x)) for x in a.ravel())))
                assert end == len(data)
                print('\\n'.join(out))
                """;
        Path py = dir.resolve("read.py");
        Files.writeString(py, script);
        Process p;
        try {
            p = new ProcessBuilder("python3", py.toString(), f.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("python3 not available; skipping the independent reader check");
            return;
        }
        String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        Assumptions.assumeFalse(p.exitValue() != 0 && outText.contains("No module named 'numpy'"), "numpy not available; skipping the independent reader check");
        assertEquals(0, p.exitValue(), outText);
        assertEquals("""
                w.f32 [2, 3] 0.5 -1.0 2.0 3.25 0.0010000000474974513 -7.0
                w.bf16 [3] 1.0 -2.5 3.140625
                w.f16 [2] 0.5 65504.0
                ids [2] -1.0 1099511627776.0
                """, outText.replace("\r", ""));
    }
}
