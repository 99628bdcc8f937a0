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
import org.prune4j.tensor.DType;

/**
 * Parses and validates a safetensors header with the rules of the reference implementation
 * (huggingface/safetensors, {@code tensor.rs}): UTF-8, JSON, an object of tensor entries
 * {@code {"dtype", "shape", "data_offsets"}} plus an optional {@code __metadata__} map of strings; entries sorted
 * by offsets must tile the data area from 0 without holes or overlap, each spanning exactly
 * {@code numel × dtype size} bytes, with every product checked for overflow.
 *
 * <p>It reads the bytes directly with a schema-aware JSON parser instead of building a generic JSON tree, so a
 * hostile 100 MB header costs memory proportional to what it declares (names and shapes), never a tree of boxed
 * values; unknown fields inside an entry are skipped (as serde does) after checking they are valid JSON.
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

    private final byte[] b;
    private final Path file;
    private int pos;
    private String entry; // the tensor being parsed, for messages

    private HeaderParser(byte[] bytes, Path file) {
        this.b = bytes;
        this.file = file;
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

    // ------------------------------------------------------------------ JSON grammar, schema-aware

    private SafeTensorsException json(String what) {
        return new SafeTensorsException(file, entry, "header is not valid JSON: " + what + " at header byte " + pos + " (rule: header must be UTF-8 JSON)");
    }

    private SafeTensorsException schema(String what) {
        return new SafeTensorsException(file, entry, what + " (rule: header entries must follow the safetensors schema)");
    }

    private void ws() {
        while (pos < b.length) {
            byte c = b[pos];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else break;
        }
    }

    private byte peek() throws SafeTensorsException {
        if (pos >= b.length) throw json("unexpected end of the header");
        return b[pos];
    }

    private void expect(char c) throws SafeTensorsException {
        if (peek() != c) throw json("expected '" + c + "'");
        pos++;
    }

    private Parsed top() throws SafeTensorsException {
        ws();
        if (pos >= b.length || b[pos] != '{') {
            if (pos < b.length && isValueStart(b[pos])) throw schema("header must be a JSON object, found " + kindAt());
            throw json("expected '{'");
        }
        pos++;
        Map<String, TensorInfo> entries = new LinkedHashMap<>();
        Map<String, String> metadata = null;
        boolean sawMetadata = false;
        ws();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                ws();
                if (peek() != '"') throw json("expected a string key");
                String key = string();
                ws();
                expect(':');
                ws();
                if (key.equals("__metadata__")) {
                    entry = null;
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
                ws();
                byte c = peek();
                pos++;
                if (c == '}') break;
                if (c != ',') {
                    pos--;
                    throw json("expected ',' or '}'");
                }
            }
        }
        ws();
        if (pos != b.length) throw json("unexpected data after the JSON object");
        return new Parsed(new ArrayList<>(entries.values()), metadata);
    }

    private Map<String, String> metadata() throws SafeTensorsException {
        if (peek() == 'n') {
            literal("null");
            return null;
        }
        if (peek() != '{') {
            if (isValueStart(peek())) throw schema("__metadata__ must be an object of strings, found " + kindAt());
            throw json("expected a value");
        }
        pos++;
        Map<String, String> m = new LinkedHashMap<>();
        ws();
        if (peek() == '}') {
            pos++;
            return m;
        }
        while (true) {
            ws();
            if (peek() != '"') throw json("expected a string key");
            String k = string();
            ws();
            expect(':');
            ws();
            if (peek() != '"') {
                if (isValueStart(peek())) throw schema("__metadata__ value of \"" + SafeTensorsException.printable(k) + "\" must be a string, found " + kindAt());
                throw json("expected a value");
            }
            String v = string();
            if (m.containsKey(k)) throw schema("__metadata__ key \"" + SafeTensorsException.printable(k) + "\" appears twice");
            m.put(k, v);
            ws();
            byte c = peek();
            pos++;
            if (c == '}') return m;
            if (c != ',') {
                pos--;
                throw json("expected ',' or '}'");
            }
        }
    }

    private TensorInfo tensorInfo(String name) throws SafeTensorsException {
        if (peek() != '{') {
            if (isValueStart(peek())) throw schema("entry must be an object with dtype, shape and data_offsets, found " + kindAt());
            throw json("expected a value");
        }
        pos++;
        String dtypeName = null;
        long[] shape = null, offsets = null;
        ws();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                ws();
                if (peek() != '"') throw json("expected a string key");
                String k = string();
                ws();
                expect(':');
                ws();
                switch (k) {
                    case "dtype" -> {
                        if (dtypeName != null) throw schema("duplicate field dtype");
                        if (peek() != '"') {
                            if (isValueStart(peek())) throw schema("dtype must be a string, found " + kindAt());
                            throw json("expected a value");
                        }
                        dtypeName = string();
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
                    default -> skipValue(3);
                }
                ws();
                byte c = peek();
                pos++;
                if (c == '}') break;
                if (c != ',') {
                    pos--;
                    throw json("expected ',' or '}'");
                }
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
        if (peek() != '[') {
            if (isValueStart(peek())) throw schema(field + " must be an array of non-negative integers, found " + kindAt());
            throw json("expected a value");
        }
        pos++;
        long[] out = new long[4];
        int n = 0;
        ws();
        if (peek() == ']') {
            pos++;
            return new long[0];
        }
        while (true) {
            ws();
            long v = uint(field);
            if (n == MAX_RANK) throw schema(field + " has more than " + MAX_RANK + " entries (rule: rank at most " + MAX_RANK + ")");
            if (n == out.length) out = Arrays.copyOf(out, n * 2);
            out[n++] = v;
            ws();
            byte c = peek();
            pos++;
            if (c == ']') return Arrays.copyOf(out, n);
            if (c != ',') {
                pos--;
                throw json("expected ',' or ']'");
            }
        }
    }

    private long uint(String field) throws SafeTensorsException {
        byte c = peek();
        if (c == '-') {
            int at = pos;
            skipNumber();
            throw schema(field + " holds the negative number " + new String(b, at, pos - at, StandardCharsets.UTF_8) + "; dims and offsets must be non-negative integers");
        }
        if (c < '0' || c > '9') {
            if (isValueStart(c)) throw schema(field + " must hold non-negative integers, found " + kindAt());
            throw json("expected a value");
        }
        int start = pos;
        long v = 0;
        boolean overflow = false;
        if (c == '0') {
            pos++;
        } else {
            while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
                int d = b[pos] - '0';
                if (v > (Long.MAX_VALUE - d) / 10) overflow = true;
                else v = v * 10 + d;
                pos++;
            }
        }
        if (pos < b.length && (b[pos] == '.' || b[pos] == 'e' || b[pos] == 'E')) {
            pos = start;
            skipNumber();
            throw schema(field + " holds " + new String(b, start, pos - start, StandardCharsets.UTF_8) + "; dims and offsets must be integers");
        }
        if (overflow)
            throw schema(field + " holds " + new String(b, start, Math.min(pos - start, 40), StandardCharsets.UTF_8)
                    + (pos - start > 40 ? "..." : "") + ", above 2^63-1 (rule: sizes must not overflow)");
        return v;
    }

    private static boolean isValueStart(byte c) {
        return c == '{' || c == '[' || c == '"' || c == 't' || c == 'f' || c == 'n' || c == '-' || (c >= '0' && c <= '9');
    }

    private String kindAt() {
        return switch (b[pos]) {
            case '{' -> "an object";
            case '[' -> "an array";
            case '"' -> "a string";
            case 't', 'f' -> "a boolean";
            case 'n' -> "null";
            default -> "a number";
        };
    }

    private void literal(String word) throws SafeTensorsException {
        for (int i = 0; i < word.length(); i++) {
            if (pos + i >= b.length || b[pos + i] != word.charAt(i)) throw json("expected " + word);
        }
        pos += word.length();
    }

    /** Skips one JSON value, checking its grammar; nesting is bounded. */
    private void skipValue(int depth) throws SafeTensorsException {
        if (depth > MAX_DEPTH) throw json("nested deeper than " + MAX_DEPTH + " levels");
        byte c = peek();
        switch (c) {
            case '{' -> {
                pos++;
                ws();
                if (peek() == '}') {
                    pos++;
                    return;
                }
                while (true) {
                    ws();
                    if (peek() != '"') throw json("expected a string key");
                    skipString();
                    ws();
                    expect(':');
                    ws();
                    skipValue(depth + 1);
                    ws();
                    byte d = peek();
                    pos++;
                    if (d == '}') return;
                    if (d != ',') {
                        pos--;
                        throw json("expected ',' or '}'");
                    }
                }
            }
            case '[' -> {
                pos++;
                ws();
                if (peek() == ']') {
                    pos++;
                    return;
                }
                while (true) {
                    ws();
                    skipValue(depth + 1);
                    ws();
                    byte d = peek();
                    pos++;
                    if (d == ']') return;
                    if (d != ',') {
                        pos--;
                        throw json("expected ',' or ']'");
                    }
                }
            }
            case '"' -> skipString();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) skipNumber();
                else throw json("unexpected character '" + (c >= 0x20 && c < 0x7f ? Character.toString(c) : String.format("\\x%02x", c & 0xff)) + "'");
            }
        }
    }

    private void skipNumber() throws SafeTensorsException {
        if (peek() == '-') pos++;
        byte c = peek();
        if (c == '0') pos++;
        else if (c >= '1' && c <= '9') while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') pos++;
        else throw json("invalid number");
        if (pos < b.length && b[pos] == '.') {
            pos++;
            int d = pos;
            while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') pos++;
            if (pos == d) throw json("digits expected after '.'");
        }
        if (pos < b.length && (b[pos] == 'e' || b[pos] == 'E')) {
            pos++;
            if (pos < b.length && (b[pos] == '+' || b[pos] == '-')) pos++;
            int d = pos;
            while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') pos++;
            if (pos == d) throw json("digits expected in the exponent");
        }
    }

    private void skipString() throws SafeTensorsException {
        string(false);
    }

    private String string() throws SafeTensorsException {
        return string(true);
    }

    /** A JSON string at pos (the header is already known to be UTF-8); escapes decoded, lone surrogates refused. */
    private String string(boolean build) throws SafeTensorsException {
        pos++; // opening quote
        StringBuilder sb = null;
        int start = pos;
        while (true) {
            if (pos >= b.length) throw json("unterminated string");
            int c = b[pos] & 0xff;
            if (c == '"') {
                String out = null;
                if (build) {
                    String tail = new String(b, start, pos - start, StandardCharsets.UTF_8);
                    out = sb == null ? tail : sb.append(tail).toString();
                }
                pos++;
                return out;
            }
            if (c < 0x20) throw json("control character in a string");
            if (c != '\\') {
                pos++;
                continue;
            }
            if (build) {
                if (sb == null) sb = new StringBuilder();
                sb.append(new String(b, start, pos - start, StandardCharsets.UTF_8));
            }
            pos++;
            if (pos >= b.length) throw json("unterminated escape");
            char e = (char) b[pos++];
            char out;
            switch (e) {
                case '"' -> out = '"';
                case '\\' -> out = '\\';
                case '/' -> out = '/';
                case 'b' -> out = '\b';
                case 'f' -> out = '\f';
                case 'n' -> out = '\n';
                case 'r' -> out = '\r';
                case 't' -> out = '\t';
                case 'u' -> {
                    char hi = hex4();
                    if (Character.isLowSurrogate(hi)) throw json("lone low surrogate in a \\u escape");
                    if (Character.isHighSurrogate(hi)) {
                        if (pos + 2 > b.length || b[pos] != '\\' || b[pos + 1] != 'u') throw json("lone high surrogate in a \\u escape");
                        pos += 2;
                        char lo = hex4();
                        if (!Character.isLowSurrogate(lo)) throw json("high surrogate not followed by a low surrogate");
                        if (build) sb.append(hi);
                        out = lo;
                    } else {
                        out = hi;
                    }
                }
                default -> {
                    pos--;
                    throw json("invalid escape");
                }
            }
            if (build) sb.append(out);
            start = pos;
        }
    }

    private char hex4() throws SafeTensorsException {
        if (pos + 4 > b.length) throw json("truncated \\u escape");
        int cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = Character.digit((char) (b[pos + i] & 0xff), 16);
            if (h < 0 || b[pos + i] < 0) throw json("bad hex digit in a \\u escape");
            cp = cp * 16 + h;
        }
        pos += 4;
        return (char) cp;
    }
}
