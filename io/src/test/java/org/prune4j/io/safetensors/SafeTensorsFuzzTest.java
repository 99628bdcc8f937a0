package org.prune4j.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.tensor.DType;
import org.prune4j.tensor.Tensor;

/**
 * Feeds thousands of mutated and truncated files through the reader: bit flips, edits of the JSON header text,
 * edits of the 8-byte length field, truncations and extensions. Every file must either load consistently (every
 * tensor readable, byte ranges tiling the data area) or be refused with a {@link SafeTensorsException}; any other
 * exception or error (OutOfMemoryError, IndexOutOfBounds, ...) and any hang fail the test.
 */
class SafeTensorsFuzzTest {
    @TempDir Path dir;

    private static final String[] TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "-", "0", "1", "9", "e", ".", " ", "\\", "\\u",
            "null", "true", "18446744073709551615", "9223372036854775807", "-1", "1e3", "\"F32\"", "\"BF16\"", "\"X\"",
            "\"F4\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\u00e9", "\ud83d\ude00"};

    /** Valid seed files written by our writer: mixed dtypes, scalars, empty tensors, metadata. */
    private List<byte[]> seeds() throws IOException {
        List<byte[]> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(42);
        DType[] types = {DType.F32, DType.BF16, DType.F16, DType.I64, DType.I32, DType.U8, DType.BOOL};
        for (int s = 0; s < 6; s++) {
            Path f = dir.resolve("seed" + s + ".safetensors");
            Map<String, Tensor> m = new LinkedHashMap<>();
            int count = 1 + r.nextInt(5);
            for (int i = 0; i < count; i++) {
                int rank = r.nextInt(3);
                int[] shape = new int[rank];
                for (int k = 0; k < rank; k++) shape[k] = r.nextInt(6);
                Tensor t = Tensor.randn(r.nextLong(), 1f, shape);
                DType dt = types[r.nextInt(types.length)];
                m.put("model.layers." + i + ".w", dt == DType.F32 ? t : t.to(dt, java.lang.foreign.Arena.global()));
            }
            SafeTensorsWriter.write(f, m, s % 2 == 0 ? Map.of("k", "v" + s) : null);
            out.add(Files.readAllBytes(f));
        }
        return out;
    }

    @Test
    void mutatedAndTruncatedFilesLoadConsistentlyOrFailCleanly() throws IOException {
        List<byte[]> seeds = seeds();
        int[] outcome = new int[2]; // loaded, refused
        assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
            SplittableRandom r = new SplittableRandom(20240611);
            for (int iter = 0; iter < 6000; iter++) {
                byte[] seed = seeds.get(r.nextInt(seeds.size()));
                int kind = iter % 5;
                byte[] file = switch (kind) {
                    case 0 -> flipBits(seed, r);
                    case 1 -> editHeader(seed, r);
                    case 2 -> editLength(seed, r);
                    case 3 -> Arrays.copyOf(seed, r.nextInt(seed.length + 1));          // truncated
                    default -> extendOrSplice(seed, r);
                };
                // a fresh name each time: overwriting a file that was just mapped is slow on ext4
                Path target = dir.resolve("fuzz-" + iter + ".safetensors");
                Files.write(target, file);
                String what = "iteration " + iter + " kind " + kind + " (" + file.length + " bytes)";
                try (SafeTensors st = SafeTensors.open(target)) {
                    checkConsistent(st, file.length, what);
                    outcome[0]++;
                } catch (SafeTensorsException e) {
                    assertTrue(e.getMessage().startsWith(target.toString()), what + ": message must name the file: " + e.getMessage());
                    assertTrue(e.getMessage().contains("(rule: ") || e.getMessage().contains("not found"), what + ": " + e.getMessage());
                    outcome[1]++;
                } catch (Throwable t) {
                    fail(what + ": expected success or SafeTensorsException, got " + t, t);
                }
                Files.delete(target);
            }
        });
        // both outcomes must actually occur, or the mutations are not exercising anything
        assertTrue(outcome[0] > 100 && outcome[1] > 1000, "loaded " + outcome[0] + ", refused " + outcome[1]);
    }

    @Test
    void mutatedIndexesFailCleanly() throws IOException {
        Path out = dir.resolve("sharded");
        try (SafeTensorsWriter w = SafeTensorsWriter.sharded(out, 16)) {
            for (int i = 0; i < 4; i++) w.declare("t" + i, DType.F32, 3);
            for (int i = 0; i < 4; i++) w.write("t" + i, Tensor.of(new float[] {i, i, i}, 3));
            w.commit();
        }
        Path index = out.resolve(SafeTensors.INDEX_FILE);
        byte[] good = Files.readAllBytes(index);
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            SplittableRandom r = new SplittableRandom(7);
            for (int iter = 0; iter < 500; iter++) {
                byte[] file = iter % 2 == 0 ? flipBits(good, r) : Arrays.copyOf(good, r.nextInt(good.length + 1));
                Files.write(index, file);
                try (SafeTensors st = SafeTensors.open(out)) {
                    for (String n : st.names()) st.get(n).toFloatArray();
                } catch (SafeTensorsException e) {
                    assertTrue(e.getMessage().contains(out.toString()), e.getMessage());
                } catch (Throwable t) {
                    fail("index iteration " + iter + ": expected success or SafeTensorsException, got " + t, t);
                }
            }
        });
    }

    /** A loaded file: ranges tile [0, data length) exactly, every tensor is viewable and readable. */
    private static void checkConsistent(SafeTensors st, long fileSize, String what) throws IOException {
        long end = 0, total = 0;
        List<TensorInfo> infos = new ArrayList<>(st.infos());
        infos.sort((a, b) -> Long.compare(a.begin(), b.begin()));
        for (TensorInfo t : infos) {
            assertEquals(end, t.begin(), what + ": " + t);
            assertEquals(t.numel() * t.dtype().size, t.byteSize(), what + ": " + t);
            end = t.end();
            total += t.byteSize();
            assertEquals(t.byteSize(), st.bytes(t.name()).byteSize(), what);
            Tensor v;
            try {
                v = st.get(t.name());
            } catch (SafeTensorsException e) {
                // a dim above 2^31-1 cannot become a Tensor; only possible for empty tensors in files this small
                assertEquals(0, t.byteSize(), what + ": " + e.getMessage());
                continue;
            }
            float sum = 0;
            for (float x : v.toFloatArray()) sum += x;
            if (!t.dtype().floating) assertEquals(t.numel(), st.getLongs(t.name()).length, what);
        }
        assertTrue(total <= fileSize - 8, what);
        assertEquals(total, st.dataBytes(), what);
    }

    private static byte[] flipBits(byte[] in, SplittableRandom r) {
        byte[] b = in.clone();
        int flips = 1 + r.nextInt(8);
        int headerEnd = (int) Math.min(b.length, 8 + ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        for (int i = 0; i < flips; i++) {
            int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(Math.max(1, headerEnd)); // mostly in the header
            b[at] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
    }

    /** Edits the JSON text (insert/delete/replace tokens, change numbers) and fixes up or breaks the length field. */
    private static byte[] editHeader(byte[] in, SplittableRandom r) {
        int n = (int) ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String h = new String(in, 8, n, StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(in, 8 + n, in.length);
        int edits = 1 + r.nextInt(3);
        for (int i = 0; i < edits; i++) {
            int at = r.nextInt(h.length() + 1);
            switch (r.nextInt(5)) {
                case 0 -> h = h.substring(0, at) + TOKENS[r.nextInt(TOKENS.length)] + h.substring(at);
                case 1 -> {
                    int len = Math.min(h.length() - at, 1 + r.nextInt(6));
                    h = h.substring(0, at) + h.substring(at + len);
                }
                case 2 -> { // change a number
                    int d = h.indexOf(',', at);
                    if (d > 0 && d + 1 < h.length() && Character.isDigit(h.charAt(d + 1)))
                        h = h.substring(0, d + 1) + (r.nextBoolean() ? Long.toString(r.nextLong(1L << 40)) : Integer.toString(r.nextInt(64))) + h.substring(d + 2);
                    else h = h.replaceFirst("\\d+", Integer.toString(r.nextInt(100)));
                }
                case 3 -> h = h.replaceFirst("\"(F32|BF16|F16|I64|I32|U8|BOOL)\"", "\"" + new String[] {"F64", "I8", "U64", "F8_E4M3", "C64", "Q4", "bf16"}[r.nextInt(7)] + "\"");
                default -> { // duplicate a slice (duplicate keys, overlapping entries)
                    int len = Math.min(h.length() - at, r.nextInt(80));
                    h = h.substring(0, at) + h.substring(at, at + len) + h.substring(at);
                }
            }
        }
        byte[] hb = h.getBytes(StandardCharsets.UTF_8);
        long len = r.nextInt(4) == 0 ? hb.length + r.nextInt(7) - 3 : hb.length;
        return StBytes.file(len, hb, data);
    }

    private static byte[] editLength(byte[] in, SplittableRandom r) {
        byte[] b = in.clone();
        long n = ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        long[] choices = {0, 1, 2, n - 1, n + 1, n - 8, n + 8, b.length, b.length - 8, Long.MAX_VALUE, -1, Long.MIN_VALUE,
                100_000_000, 100_000_001, Integer.MAX_VALUE, 1L << 32 | n, r.nextLong()};
        long v = choices[r.nextInt(choices.length)];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, v);
        return b;
    }

    private static byte[] extendOrSplice(byte[] in, SplittableRandom r) {
        if (r.nextBoolean()) {
            byte[] b = Arrays.copyOf(in, in.length + 1 + r.nextInt(64));
            for (int i = in.length; i < b.length; i++) b[i] = (byte) r.nextInt(256);
            return b;
        }
        // remove a random range from the data area (file shorter than the header claims)
        int n = (int) ByteBuffer.wrap(in).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int from = 8 + n + (in.length > 8 + n ? r.nextInt(in.length - 8 - n) : 0);
        int len = Math.min(in.length - from, 1 + r.nextInt(16));
        byte[] b = new byte[in.length - len];
        System.arraycopy(in, 0, b, 0, from);
        System.arraycopy(in, from + len, b, from, in.length - from - len);
        return b;
    }
}
