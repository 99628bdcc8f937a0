package org.prune4j.io.safetensors;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.prune4j.io.json.JsonPull;
import org.prune4j.tensor.DType;

/**
 * Parses and validates a safetensors header with the rules of the reference implementation
 * (huggingface/safetensors, {@code tensor.rs}): UTF-8, JSON, an object of tensor entries
 * {@code {"dtype", "shape", "data_offsets"}} plus an optional {@code __metadata__} map of strings; entries sorted
 * by offsets must tile the data area from 0 without holes or overlap, each spanning exactly
 * {@code numel × dtype size} bytes, with every product checked for overflow.
 *
 * <p>It pulls the bytes through {@link JsonPull} instead of building a generic JSON tree, so a hostile 100 MB
 * header costs memory proportional to what it declares (names and shapes), never a tree of boxed values; unknown
 * fields inside an entry are skipped (as serde does) after checking they are valid JSON.
 */
final class HeaderParser {
    /** serde_json's default recursion limit, which the reference reader inherits. */
    static final int MAX_DEPTH = 128;

    /**
     * Most dims a shape may have. The reference sets no bound; prune4j adds this one so a hostile 100 MB header of
     * one huge shape costs kilobytes, not gigabytes (real tensors have at most a handful of dims; numpy allows 64).
     */
    static final int MAX_RANK = 1024;

    /** Dtypes the format defines that prune4j cannot view (sub-byte or exotic floats, complex). */
    static final Set<String> FORMAT_ONLY_DTYPES = Set.of("F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "C64");

    /** What a parsed header declares: entries in header order and the {@code __metadata__} map (null when absent). */
    record Parsed(List<TensorInfo> entries, Map<String, String> metadata) {}

    private final Path file;
    private final JsonPull<SafeTensorsException> r;
    private String entry; // the tensor being parsed, for messages

    private HeaderParser(byte[] bytes, Path file) {
        this.file = file;
        this.r = new JsonPull<>(bytes, MAX_DEPTH, true, (what, at) -> new SafeTensorsException(file, entry,
                "header is not valid JSON: " + what + " at header byte " + at + " (rule: header must be UTF-8 JSON)"));
    }

    /** Parses the JSON header bytes (without the 8-byte length) of {@code file}. */
    static Parsed parse(byte[] header, Path file) throws SafeTensorsException {
        checkUtf8(header, file);
        return new HeaderParser(header, file).top();
    }

    /**
     * Checks the reference rules on offsets and sizes and returns the entries sorted by data offsets; the returned
     * data length is the end of the last entry (the caller compares it with the bytes after the header).
     */
    static List<TensorInfo> validateLayout(List<TensorInfo> entries, Path file) throws SafeTensorsException {
        List<TensorInfo> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long start = 0;
        String previous = null;
        for (TensorInfo t : sorted) {
            long s = t.begin(), e = t.end();
            String offs = "data_offsets [" + s + ", " + e + "]";
            if (e < s)
                throw new SafeTensorsException(file, t.name(), offs + " end before they begin (rule: offsets must be ordered)");
            if (s < start)
                throw new SafeTensorsException(file, t.name(), offs + " overlap tensor '" + SafeTensorsException.printable(previous)
                        + "', which ends at " + start + " (rule: tensors must not overlap)");
            if (s > start)
                throw new SafeTensorsException(file, t.name(), offs + " leave a hole: bytes [" + start + ", " + s
                        + ") of the data area belong to no tensor (rule: no holes between tensors)");
            start = e;
            previous = t.name();
            long bytes = byteSize(t.dtype(), t.shape(), file, t.name());
            if (e - s != bytes)
                throw new SafeTensorsException(file, t.name(), "shape " + Arrays.toString(t.shape()) + " of " + t.dtype() + " needs " + bytes
                        + " bytes but " + offs + " span " + (e - s) + " (rule: offsets must match shape x dtype size)");
        }
        return sorted;
    }

    /** {@code numel(shape) × dtype.size} with every product checked; overflow is a format error. */
    static long byteSize(DType dtype, long[] shape, Path file, String name) throws SafeTensorsException {
        try {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return Math.multiplyExact(n, (long) dtype.size);
        } catch (ArithmeticException ex) {
            throw new SafeTensorsException(file, name, "shape " + Arrays.toString(shape) + " x " + dtype + " size overflows 64 bits (rule: sizes must not overflow)");
        }
    }

    // ------------------------------------------------------------------ UTF-8

    private static void checkUtf8(byte[] header, Path file) throws SafeTensorsException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(header);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isError())
                throw new SafeTensorsException(file, null, "header is not valid UTF-8 (bad byte sequence at header byte " + in.position() + ") (rule: header must be UTF-8 JSON)");
            if (r.isUnderflow()) break;
            out.clear();
        }
        out.clear();
        dec.flush(out);
    }

    // ------------------------------------------------------------------ the schema, on the pull reader

    private SafeTensorsException schema(String what) {
        return new SafeTensorsException(file, entry, what + " (rule: header entries must follow the safetensors schema)");
    }

    /** True when the next value is a {@code want}; otherwise the caller throws {@link #mismatch} (its message built only then). */
    private boolean is(JsonPull.Kind want) {
        return r.upcoming() == want;
    }

    /** The error for a value of the wrong kind: a schema error naming what was found, or a syntax error. */
    private SafeTensorsException mismatch(String what) {
        JsonPull.Kind k = r.upcoming();
        return k == null ? r.error("expected a value") : schema(what + ", found " + kindName(k));
    }

    private static String kindName(JsonPull.Kind k) {
        return switch (k) {
            case OBJECT -> "an object";
            case ARRAY -> "an array";
            case STRING -> "a string";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            case NUMBER -> "a number";
        };
    }

    private Parsed top() throws SafeTensorsException {
        if (r.atValue() && r.peek() != JsonPull.Kind.OBJECT) throw schema("header must be a JSON object, found " + kindName(r.peek()));
        r.beginObject();
        Map<String, TensorInfo> entries = new LinkedHashMap<>();
        Map<String, String> metadata = null;
        boolean sawMetadata = false;
        for (String key; (key = r.nextKey()) != null; ) {
            if (key.equals("__metadata__")) {
                if (sawMetadata) throw schema("duplicate key __metadata__");
                sawMetadata = true;
                metadata = metadata();
            } else {
                entry = key;
                if (entries.containsKey(key))
                    throw new SafeTensorsException(file, key, "appears twice in the header (rule: no duplicate tensor names)");
                entries.put(key, tensorInfo(key));
                entry = null;
            }
        }
        if (!r.atEnd()) throw r.error("unexpected data after the JSON object");
        return new Parsed(new ArrayList<>(entries.values()), metadata);
    }

    /** {@code __metadata__}: null, or an object of strings without repeated keys. */
    private Map<String, String> metadata() throws SafeTensorsException {
        if (r.atValue() && r.peek() == JsonPull.Kind.NULL) {
            r.nullValue();
            return null;
        }
        if (!is(JsonPull.Kind.OBJECT)) throw mismatch("__metadata__ must be an object of strings");
        r.beginObject();
        Map<String, String> m = new LinkedHashMap<>();
        for (String k; (k = r.nextKey()) != null; ) {
            if (!is(JsonPull.Kind.STRING)) throw mismatch("__metadata__ value of \"" + SafeTensorsException.printable(k) + "\" must be a string");
            String v = r.string();
            if (m.containsKey(k)) throw schema("__metadata__ key \"" + SafeTensorsException.printable(k) + "\" appears twice");
            m.put(k, v);
        }
        return m;
    }

    /** One entry: {"dtype": string, "shape": [uint...], "data_offsets": [uint, uint]}; other fields skipped (as serde does). */
    private TensorInfo tensorInfo(String name) throws SafeTensorsException {
        if (!is(JsonPull.Kind.OBJECT)) throw mismatch("entry must be an object with dtype, shape and data_offsets");
        r.beginObject();
        String dtypeName = null;
        long[] shape = null, offsets = null;
        for (String k; (k = r.nextKey()) != null; ) {
            switch (k) {
                case "dtype" -> {
                    if (dtypeName != null) throw schema("duplicate field dtype");
                    if (!is(JsonPull.Kind.STRING)) throw mismatch("dtype must be a string");
                    dtypeName = r.string();
                }
                case "shape" -> {
                    if (shape != null) throw schema("duplicate field shape");
                    shape = uintArray("shape");
                }
                case "data_offsets" -> {
                    if (offsets != null) throw schema("duplicate field data_offsets");
                    offsets = uintArray("data_offsets");
                    if (offsets.length != 2) throw schema("data_offsets must hold 2 integers, found " + offsets.length);
                }
                default -> r.skipValue();
            }
        }
        if (dtypeName == null) throw schema("missing field dtype");
        if (shape == null) throw schema("missing field shape");
        if (offsets == null) throw schema("missing field data_offsets");
        DType dtype = DType.fromSafetensors(dtypeName);
        if (dtype == null) {
            String p = SafeTensorsException.printable(dtypeName);
            if (FORMAT_ONLY_DTYPES.contains(dtypeName))
                throw new SafeTensorsException(file, name, "dtype " + p + " is not supported by prune4j (supported: " + supportedDtypes() + ") (rule: known dtype)");
            throw new SafeTensorsException(file, name, "unknown dtype \"" + p + "\" (known: " + supportedDtypes() + ", and " + String.join(", ", FORMAT_ONLY_DTYPES.stream().sorted().toList()) + ") (rule: known dtype)");
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1], file);
    }

    static String supportedDtypes() {
        StringBuilder sb = new StringBuilder();
        for (DType d : DType.values()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(d.safetensorsName());
        }
        return sb.toString();
    }

    /** An array of non-negative integers that fit a long (the reference takes usize). */
    private long[] uintArray(String field) throws SafeTensorsException {
        if (!is(JsonPull.Kind.ARRAY)) throw mismatch(field + " must be an array of non-negative integers");
        r.beginArray();
        long[] out = new long[4];
        int n = 0;
        while (r.nextElement()) {
            long v = uint(field);
            if (n == MAX_RANK) throw schema(field + " has more than " + MAX_RANK + " entries (rule: rank at most " + MAX_RANK + ")");
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = v;
        }
        return Arrays.copyOf(out, n);
    }

    private long uint(String field) throws SafeTensorsException {
        if (!is(JsonPull.Kind.NUMBER)) throw mismatch(field + " must hold non-negative integers");
        int start = r.number(), end = r.pos();
        if (r.byteAt(start) == '-')
            throw schema(field + " holds the negative number " + r.text(start, end) + "; dims and offsets must be non-negative integers");
        if (!r.integral()) throw schema(field + " holds " + r.text(start, end) + "; dims and offsets must be integers");
        long v = 0;
        for (int i = start; i < end; i++) {
            int d = r.byteAt(i) - '0';
            if (v > (Long.MAX_VALUE - d) / 10)
                throw schema(field + " holds " + r.text(start, Math.min(end, start + 40)) + (end - start > 40 ? "..." : "")
                        + ", above 2^63-1 (rule: sizes must not overflow)");
            v = v * 10 + d;
        }
        return v;
    }
}
