package org.prune4j.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/** The reader against hand-built files: valid layouts load, and every rule of the reference reader is enforced. */
class SafeTensorsReadTest {
    @TempDir Path dir;

    private SafeTensors open(String header, byte[] data) throws IOException {
        return SafeTensors.open(StBytes.write(dir, "m.safetensors", StBytes.file(header, data)));
    }

    /** Asserts the file is refused with a message naming the file, the tensor (when given) and the rule. */
    private SafeTensorsException refused(byte[] file, String tensor, String ruleFragment) throws IOException {
        Path p = StBytes.write(dir, "bad.safetensors", file);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString() + ": "), e.getMessage());
        if (tensor != null) {
            assertEquals(tensor, e.tensor(), e.getMessage());
            assertTrue(e.getMessage().contains("tensor '" + SafeTensorsException.printable(tensor) + "'"), e.getMessage());
        }
        assertTrue(e.getMessage().contains(ruleFragment), "expected \"" + ruleFragment + "\" in: " + e.getMessage());
        assertTrue(e.getMessage().contains("(rule: "), e.getMessage());
        return e;
    }

    private SafeTensorsException refused(String header, byte[] data, String tensor, String ruleFragment) throws IOException {
        return refused(StBytes.file(header, data), tensor, ruleFragment);
    }

    @Test
    void readsTheReferenceDeserializationExample() throws IOException {
        // the bytes of safetensors' test_deserialization: I32 [2, 2] of zeros
        try (SafeTensors st = open("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", new byte[16])) {
            assertEquals(List.of("test"), List.copyOf(st.names()));
            TensorInfo t = st.info("test");
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {2, 2}, t.shape());
            assertEquals(0, t.begin());
            assertEquals(16, t.end());
            assertArrayEquals(new long[4], st.getLongs("test"));
            assertEquals(Map.of(), st.metadata());
        }
    }

    @Test
    void viewsAreZeroCopyAndReadOnly() throws IOException {
        byte[] data = StBytes.f32(0, 1, 2, 3, 4, 5);
        try (SafeTensors st = open("{\"__metadata__\":{\"format\":\"pt\"},\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", data)) {
            Tensor t = st.get("attn.0");
            assertArrayEquals(new int[] {1, 2, 3}, t.shape());
            assertEquals(DType.F32, t.dtype());
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toFloatArray());
            assertEquals(5f, t.get(0, 1, 2));
            assertTrue(t.segment() != null && t.segment().isReadOnly());
            assertFalse(t.storage().writable());
            assertEquals(Map.of("format", "pt"), st.metadata());
            st.close();
            assertThrows(IllegalStateException.class, () -> t.get(0, 0, 0)); // views die with the checkpoint
        }
    }

    @Test
    void scalarsZeroSizedAndPaddedHeadersLoad() throws IOException {
        // empty shape (a scalar), a [2, 0] tensor at an empty range, JSON whitespace before and after the object
        String h = " \t\n{\"s\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]},\"z\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[4,4]}}\r\n  ";
        try (SafeTensors st = open(h, StBytes.i32(-7))) {
            assertEquals(List.of("s", "z"), List.copyOf(st.names()));
            assertEquals(-7f, st.get("s").item());
            assertArrayEquals(new long[] {-7}, st.getLongs("s"));
            assertEquals(0, st.get("z").numel());
        }
        try (SafeTensors st = open("{}      ", new byte[0])) {
            assertTrue(st.names().isEmpty());
        }
    }

    @Test
    void namesFollowDataOffsetsNotHeaderOrder() throws IOException {
        String h = "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]},\"a\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        try (SafeTensors st = open(h, new byte[] {1, (byte) 200, 7})) {
            assertEquals(List.of("a", "b"), List.copyOf(st.names()));
            assertArrayEquals(new long[] {200, 7}, st.getLongs("b"));
            assertArrayEquals(new long[] {1}, st.getLongs("a"));
        }
    }

    @Test
    void everyDtypeIsReadable() throws IOException {
        ByteBuffer d = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        d.putDouble(2.5);                                 // F64   [0, 8)
        d.putShort((short) 0x3c00);                       // F16 1.0   [8, 10)
        d.putShort(DType.floatToBf16(-3f));               // BF16  [10, 12)
        d.putLong(-5_000_000_000L);                       // I64   [12, 20)
        d.putShort((short) -2);                           // I16   [20, 22)
        d.put((byte) -1);                                 // U8 255 [22, 23)
        d.put((byte) -1);                                 // I8 -1  [23, 24)
        d.putInt(-1);                                     // U32   [24, 28)
        String h = "{\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"f16\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[8,10]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[10,12]},"
                + "\"i64\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[12,20]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[20,22]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[22,23]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[23,24]},"
                + "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[24,28]}}";
        byte[] data = java.util.Arrays.copyOf(d.array(), 28);
        try (SafeTensors st = open(h, data)) {
            assertEquals(2.5f, st.get("f64").item());
            assertEquals(1f, st.get("f16").item());
            assertEquals(-3f, st.get("bf16").item());
            assertArrayEquals(new long[] {-5_000_000_000L}, st.getLongs("i64"));
            assertArrayEquals(new long[] {-2}, st.getLongs("i16"));
            assertArrayEquals(new long[] {255}, st.getLongs("u8"));
            assertArrayEquals(new long[] {-1}, st.getLongs("i8"));
            assertArrayEquals(new long[] {4294967295L}, st.getLongs("u32"));
            SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> st.getLongs("f64"));
            assertTrue(e.getMessage().contains("'f64'"));
            SafeTensorsException missing = assertThrows(SafeTensorsException.class, () -> st.get("nope"));
            assertTrue(missing.getMessage().contains("'nope'") && missing.getMessage().contains("not found"), missing.getMessage());
        }
    }

    // ------------------------------------------------------------------ the reference's rules

    @Test
    void headerTooSmall() throws IOException {
        refused(new byte[0], null, "too small");
        refused(new byte[7], null, "too small");
    }

    @Test
    void headerSizeBound() throws IOException {
        // the reference's test_header_too_large: length field 0xffffff00_0000003c
        byte[] f = StBytes.file("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", new byte[16]);
        f[5] = (byte) 0xff;
        f[6] = (byte) 0xff;
        f[7] = (byte) 0xff;
        refused(f, null, "header size bound");
        refused(StBytes.file(100_000_001L, new byte[0], new byte[0]), null, "100000000-byte limit");
        refused(StBytes.file(-1L, new byte[0], new byte[0]), null, "18446744073709551615");
    }

    @Test
    void headerWithinFile() throws IOException {
        refused(StBytes.file(60, new byte[0], new byte[0]), null, "header within the file");
        refused(StBytes.file(60, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]), null, "runs past the end");
    }

    @Test
    void headerIsUtf8Json() throws IOException {
        refused(StBytes.file(1, new byte[] {(byte) 0xff}, new byte[0]), null, "not valid UTF-8");
        refused(StBytes.file(3, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, new byte[0]), null, "not valid UTF-8"); // encoded surrogate
        refused("{", new byte[0], null, "not valid JSON");
        refused("{\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]},}", new byte[4], null, "not valid JSON"); // trailing comma
        refused("{} x", new byte[0], null, "not valid JSON");
        refused("[]", new byte[0], null, "must be a JSON object");
        refused("{\"a\\ud800\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4], null, "surrogate");
        refused("{\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4],\"x\":" + "[".repeat(200) + "]".repeat(200) + "}}", new byte[4], "a", "nested deeper");
    }

    @Test
    void unknownFieldsAreSkippedButMustBeJson() throws IOException {
        String h = "{\"a\":{\"extra\":{\"k\":[1,2.5e3,true,null,\"s\\n\"]},\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}";
        try (SafeTensors st = open(h, new byte[4])) {
            assertEquals(List.of("a"), List.copyOf(st.names()));
        }
        refused("{\"a\":{\"extra\":01,\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", new byte[4], "a", "not valid JSON");
    }

    @Test
    void knownDtype() throws IOException {
        refused("{\"w\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1], "w", "unknown dtype");
        refused("{\"w\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", new byte[1], "w", "not supported by prune4j");
        refused("{\"w\":{\"dtype\":5,\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1], "w", "dtype must be a string");
    }

    @Test
    void shapesAreNonNegativeIntegers() throws IOException {
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", new byte[1], "w", "non-negative");
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":[1.0],\"data_offsets\":[0,1]}}", new byte[1], "w", "must be integers");
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}}", new byte[1], "w", "non-negative integers");
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":1,\"data_offsets\":[0,1]}}", new byte[1], "w", "must be an array");
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", new byte[1], "w", "2 integers");
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":[1]}}", new byte[1], "w", "missing field data_offsets");
        refused("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1], "w", "duplicate field");
        refused("{\"w\":[1]}", new byte[1], "w", "must be an object");
        String deep = "{\"w\":{\"dtype\":\"U8\",\"shape\":[" + "1,".repeat(5000) + "1],\"data_offsets\":[0,1]}}";
        refused(deep, new byte[1], "w", "rank at most 1024");
    }

    @Test
    void sizesMustNotOverflow() throws IOException {
        // the reference's test_validation_overflow cases
        refused("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,18446744073709551614],\"data_offsets\":[0,16]}}", new byte[16], "test", "overflow");
        refused("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,9223372036854775807],\"data_offsets\":[0,16]}}", new byte[16], "test", "overflow");
        refused("{\"test\":{\"dtype\":\"I32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,16]}}", new byte[16], "test", "overflow");
        refused("{\"test\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", new byte[4], "test", "overflow");
    }

    @Test
    void offsetsMatchShapeTimesDtypeSize() throws IOException {
        // the reference's test_invalid_info
        refused("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", new byte[4], "test", "offsets must match shape x dtype size");
    }

    @Test
    void noOverlapNoHoles() throws IOException {
        // the reference's test_json_attack: ten tensors all at [0, 16)
        StringBuilder h = new StringBuilder("{");
        for (int i = 0; i < 10; i++) h.append(i > 0 ? "," : "").append("\"weight_").append(i).append("\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}");
        h.append('}');
        refused(h.toString(), new byte[16], "weight_1", "must not overlap");
        refused("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}", new byte[3], "b", "must not overlap");
        refused("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}", new byte[3], "a", "no holes");
        refused("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}}", new byte[3], "b", "no holes");
        refused("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[3,1]}}", new byte[3], "a", "ordered");
    }

    @Test
    void dataAreaFullyCoveredAndTruncation() throws IOException {
        // the reference's test_metadata_incomplete_buffer: extra bytes after the data, and 2 bytes missing
        String h = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
        byte[] extra = new byte[16 + 34];
        refused(h, extra, null, "fully covered");
        refused(h, new byte[14], "test", "truncated file");
    }

    @Test
    void noDuplicateNames() throws IOException {
        refused("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2], "a", "no duplicate tensor names");
    }

    @Test
    void metadataIsAMapOfStrings() throws IOException {
        refused("{\"__metadata__\":{\"format\":1}}", new byte[0], null, "must be a string");
        refused("{\"__metadata__\":[]}", new byte[0], null, "must be an object");
        try (SafeTensors st = open("{\"__metadata__\":null}", new byte[0])) {
            assertEquals(Map.of(), st.metadata());
        }
    }

    @Test
    void hostileNamesStayOneLine() throws IOException {
        SafeTensorsException e = refused("{\"a\\nb\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2], "a\nb", "offsets must match");
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    // ------------------------------------------------------------------ folders and shards

    @Test
    void folderPrefersIndexAndErrsWhenEmpty() throws IOException {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(dir));
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains(dir.toString()), e.getMessage());
        Files.write(dir.resolve("model.safetensors"), StBytes.file("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[] {5}));
        try (SafeTensors st = SafeTensors.open(dir)) {
            assertEquals(dir.resolve("model.safetensors"), st.path());
            assertArrayEquals(new long[] {5}, st.getLongs("a"));
        }
        Files.write(dir.resolve("model-00001-of-00002.safetensors"), StBytes.file("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[] {1}));
        Files.write(dir.resolve("model-00002-of-00002.safetensors"), StBytes.file("{\"y\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[] {2, 3}));
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":3},\"weight_map\":{\"y\":\"model-00002-of-00002.safetensors\",\"x\":\"model-00001-of-00002.safetensors\"}}");
        try (SafeTensors st = SafeTensors.open(dir)) {
            assertEquals(dir.resolve("model.safetensors.index.json"), st.path());
            assertEquals(List.of("x", "y"), List.copyOf(st.names()));
            assertArrayEquals(new long[] {2, 3}, st.getLongs("y"));
            assertEquals(2, st.files().size());
            assertEquals(3, st.dataBytes());
        }
    }

    @Test
    void badIndexesAreRefused() throws IOException {
        Files.write(dir.resolve("s1.safetensors"), StBytes.file("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[] {1}));
        Files.write(dir.resolve("s2.safetensors"), StBytes.file("{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[] {1}));
        Path idx = dir.resolve("model.safetensors.index.json");
        String[][] cases = {
                {"{\"weight_map\":{\"x\":\"../s1.safetensors\"}}", "plain file name"},
                {"{\"weight_map\":{\"x\":\"missing.safetensors\"}}", "does not exist"},
                {"{\"weight_map\":{\"x\":\"s1.safetensors\",\"z\":\"s1.safetensors\"}}", "does not hold it"},
                {"{\"weight_map\":{\"x\":\"s1.safetensors\",\"y\":\"s2.safetensors\"}}", "no duplicate tensor names across shards"},
                {"{\"weight_map\":[]}", "weight_map"},
                {"{\"weight_map\":{\"x\":1}}", "shard file name"},
                {"{\"weight_map\":", "not valid JSON"},
        };
        for (String[] c : cases) {
            Files.writeString(idx, c[0]);
            IOException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.open(dir).close(), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ a real checkpoint

    @Test
    void readsSharedCheckpointsAgainstHandParsedBytes() throws IOException {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        for (String model : List.of("stories260K", "tiny-qkvbias-bf16")) {
            Path file = SharedData.root().get().resolve("models/" + model + "/model.safetensors");
            byte[] all = Files.readAllBytes(file);
            long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            try (SafeTensors st = SafeTensors.open(file.getParent())) {
                assertTrue(st.contains("model.embed_tokens.weight"));
                long total = 0;
                for (String name : st.names()) {
                    TensorInfo t = st.info(name);
                    Tensor v = st.get(name);
                    total += t.byteSize();
                    // independent decode: element k lives at 8 + n + begin + k * size
                    ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
                    long numel = t.numel();
                    for (long k : new long[] {0, numel / 2, numel - 1}) {
                        int at = (int) (8 + n + t.begin() + k * t.dtype().size);
                        float expect = t.dtype() == DType.F32 ? bb.getFloat(at) : Float.intBitsToFloat((bb.getShort(at) & 0xffff) << 16);
                        assertEquals(expect, v.getFlat(k), name + "[" + k + "]");
                    }
                }
                assertEquals(all.length - 8 - n, total);
            }
        }
    }
}
