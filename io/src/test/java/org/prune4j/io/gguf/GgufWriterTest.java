package org.prune4j.io.gguf;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GGUF bytes, read back by an independent little reader written from the format description: header, every
 * value type we write, tensor infos, 32-byte alignment of the data and of each tensor, F32 and F16 payloads. Plus the
 * rotary row permutation, checked against Hugging Face's own (the one its Llama conversion applies).
 */
class GgufWriterTest {
    @TempDir Path tmp;

    @Test
    void writesWhatAnIndependentReaderReadsBack() throws IOException {
        float[] a = {1f, -2.5f, 3.25f, 0f, 1e-3f, 65504f};
        float[] b = {0.5f, -0.333f, 7f};
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putU32("llama.block_count", 5)
                .putF32("llama.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putI32s("llama.attention.head_count", new int[]{8, 6, 8})
                .putF32s("tokenizer.ggml.scores", new float[]{-1f, 0.5f})
                .putStrings("tokenizer.ggml.tokens", List.of("<s>", "▁the", ""));
        w.addTensor("a", new long[]{3, 2}, GgufWriter.Type.F32, () -> a);
        w.addTensor("b", new long[]{3}, GgufWriter.Type.F16, () -> b);
        Path f = tmp.resolve("x.gguf");
        w.write(f);

        Read r = Read.of(Files.readAllBytes(f));
        assertEquals(3, r.version);
        assertEquals("llama", r.kv.get("general.architecture"));
        assertEquals(5L, r.kv.get("llama.block_count"));
        assertEquals(10000f, r.kv.get("llama.rope.freq_base"));
        assertEquals(true, r.kv.get("tokenizer.ggml.add_bos_token"));
        assertEquals(List.of(8L, 6L, 8L), r.kv.get("llama.attention.head_count"));
        assertEquals(List.of(-1f, 0.5f), r.kv.get("tokenizer.ggml.scores"));
        assertEquals(List.of("<s>", "▁the", ""), r.kv.get("tokenizer.ggml.tokens"));
        assertEquals(List.of("a", "b"), new ArrayList<>(r.tensors.keySet()));
        assertEquals(0, r.dataStart % GgufWriter.ALIGNMENT, "data section aligned");
        for (long[] t : r.tensors.values()) assertEquals(0, t[t.length - 1] % GgufWriter.ALIGNMENT, "tensor offset aligned");
        long[] ta = r.tensors.get("a"), tb = r.tensors.get("b");
        assertEquals(3, ta[0], "dims as given, fastest-varying first");
        assertEquals(2, ta[1]);
        assertEquals(0, ta[2], "F32 = ggml type 0");
        assertEquals(1, tb[1], "F16 = ggml type 1");
        ByteBuffer d = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < a.length; i++) assertEquals(a[i], d.getFloat((int) (r.dataStart + ta[3] + 4L * i)));
        for (int i = 0; i < b.length; i++)
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(b[i])), Float.float16ToFloat(d.getShort((int) (r.dataStart + tb[2] + 2L * i))));
        assertEquals(r.dataStart + tb[2] + GgufWriter.align(2L * b.length), Files.size(f), "the file ends after the last padded tensor");
    }

    @Test
    void aFailingTensorLeavesNoFile() {
        GgufWriter w = new GgufWriter().putString("general.architecture", "llama");
        w.addTensor("a", new long[]{4}, GgufWriter.Type.F32, () -> new float[3]);
        Path f = tmp.resolve("bad.gguf");
        IOException e = assertThrows(IOException.class, () -> w.write(f));
        assertTrue(e.getMessage().contains("tensor a"), e.getMessage());
        assertFalse(Files.exists(f));
    }

    @Test
    void rotaryPermutationUndoesHuggingFacesPermute() {
        Random rnd = new Random(7);
        for (int[] c : new int[][]{{8, 8, 64}, {4, 8, 64}, {3, 16, 5}, {1, 2, 1}, {2, 6, 1}}) {
            int heads = c[0], hd = c[1], cols = c[2];
            float[] w = new float[heads * hd * cols];
            for (int i = 0; i < w.length; i++) w[i] = rnd.nextFloat();
            float[] back = LlamaGguf.permuteRotary(hfPermute(w, heads, hd, cols), heads, hd, cols);
            assertArrayEquals(w, back, "heads " + heads + " head_dim " + hd + " cols " + cols);
            if (hd > 2) assertFalse(java.util.Arrays.equals(w, LlamaGguf.permuteRotary(w, heads, hd, cols)), "the permutation moves rows");
        }
    }

    /**
     * Hugging Face's convert_llama_weights_to_hf permute: w.view(heads, hd/2, 2, cols).transpose(1, 2).reshape(...),
     * i.e. row (h, j, i) of the result is row (h, i, j) of the input.
     */
    private static float[] hfPermute(float[] w, int heads, int hd, int cols) {
        float[] out = new float[w.length];
        int half = hd / 2;
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < half; i++)
                for (int j = 0; j < 2; j++)
                    System.arraycopy(w, (h * hd + i * 2 + j) * cols, out, (h * hd + j * half + i) * cols, cols);
        return out;
    }

    /** A GGUF header reader: kv values as Long/Float/Boolean/String/List, tensors as [dims..., type, offset]. */
    record Read(int version, Map<String, Object> kv, Map<String, long[]> tensors, long dataStart) {
        static Read of(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals("GGUF", new String(bytes, 0, 4, StandardCharsets.US_ASCII));
            b.position(4);
            int version = b.getInt();
            long nt = b.getLong(), nkv = b.getLong();
            Map<String, Object> kv = new LinkedHashMap<>();
            for (long i = 0; i < nkv; i++) {
                String k = str(b);
                kv.put(k, value(b, b.getInt()));
            }
            Map<String, long[]> t = new LinkedHashMap<>();
            for (long i = 0; i < nt; i++) {
                String name = str(b);
                int nd = b.getInt();
                long[] e = new long[nd + 2];
                for (int d = 0; d < nd; d++) e[d] = b.getLong();
                e[nd] = b.getInt();
                e[nd + 1] = b.getLong();
                t.put(name, e);
            }
            long start = (b.position() + 31) / 32 * 32;
            return new Read(version, kv, t, start);
        }

        static Object value(ByteBuffer b, int type) {
            return switch (type) {
                case 4 -> Integer.toUnsignedLong(b.getInt());
                case 5 -> (long) b.getInt();
                case 6 -> b.getFloat();
                case 7 -> b.get() != 0;
                case 8 -> str(b);
                case 9 -> {
                    int et = b.getInt();
                    long n = b.getLong();
                    List<Object> l = new ArrayList<>();
                    for (long i = 0; i < n; i++) l.add(value(b, et));
                    yield l;
                }
                default -> throw new AssertionError("value type " + type + " not expected");
            };
        }

        static String str(ByteBuffer b) {
            byte[] s = new byte[(int) b.getLong()];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }
    }
}
