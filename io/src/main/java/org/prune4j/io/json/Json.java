package org.prune4j.io.json;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader and writer (RFC 8259) with no dependencies, because the core modules take none.
 * Values map to {@code Map<String,Object>} (insertion ordered), {@code List<Object>}, {@code String},
 * {@code Long} (integers that fit), {@code BigInteger} (those that don't), {@code Double}, {@code Boolean}
 * and {@code null}. Nesting depth is bounded so hostile input cannot overflow the stack.
 */
public final class Json {
    /** Deepest nesting accepted. */
    public static final int MAX_DEPTH = 512;

    private final String s;
    private final boolean rejectDuplicateKeys;
    private int pos;

    private Json(String s, boolean rejectDuplicateKeys) {
        this.s = s;
        this.rejectDuplicateKeys = rejectDuplicateKeys;
    }

    /** Parses one JSON value (trailing whitespace allowed, nothing else). Duplicate object keys: last one wins. */
    public static Object parse(String text) throws JsonException {
        return parse(text, false);
    }

    /** Parses one JSON value; with {@code rejectDuplicateKeys} a repeated key in an object is an error naming it. */
    public static Object parse(String text, boolean rejectDuplicateKeys) throws JsonException {
        Json p = new Json(text, rejectDuplicateKeys);
        p.ws();
        Object v = p.value(0);
        p.ws();
        if (p.pos != text.length()) throw p.error("unexpected data after the JSON value");
        return v;
    }

    /** Parses text whose top level must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text, boolean rejectDuplicateKeys) throws JsonException {
        Object v = parse(text, rejectDuplicateKeys);
        if (!(v instanceof Map)) throw new JsonException("expected a JSON object at the top level, found " + typeName(v));
        return (Map<String, Object>) v;
    }

    /** "object", "array", "string", "number", "boolean" or "null", for error messages. */
    public static String typeName(Object v) {
        if (v == null) return "null";
        if (v instanceof Map) return "object";
        if (v instanceof List) return "array";
        if (v instanceof String) return "string";
        if (v instanceof Boolean) return "boolean";
        return "number";
    }

    private JsonException error(String what) {
        int from = Math.max(0, pos - 20), to = Math.min(s.length(), pos + 20);
        String near = s.substring(from, to).replaceAll("[\\p{Cntrl}]", " ");
        return new JsonException(what + " at character " + pos + " (near \"" + near + "\")");
    }

    private void ws() {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else break;
        }
    }

    private Object value(int depth) throws JsonException {
        if (depth > MAX_DEPTH) throw error("JSON nested deeper than " + MAX_DEPTH);
        if (pos >= s.length()) throw error("unexpected end of JSON");
        char c = s.charAt(pos);
        switch (c) {
            case '{': return object(depth);
            case '[': return array(depth);
            case '"': return string();
            case 't': return literal("true", Boolean.TRUE);
            case 'f': return literal("false", Boolean.FALSE);
            case 'n': return literal("null", null);
            default:
                if (c == '-' || (c >= '0' && c <= '9')) return number();
                throw error("unexpected character '" + c + "'");
        }
    }

    private Object literal(String word, Object v) throws JsonException {
        if (!s.startsWith(word, pos)) throw error("expected " + word);
        pos += word.length();
        return v;
    }

    private Map<String, Object> object(int depth) throws JsonException {
        pos++; // {
        Map<String, Object> m = new LinkedHashMap<>();
        ws();
        if (pos < s.length() && s.charAt(pos) == '}') {
            pos++;
            return m;
        }
        while (true) {
            ws();
            if (pos >= s.length() || s.charAt(pos) != '"') throw error("expected a string key");
            int keyAt = pos;
            String key = string();
            ws();
            if (pos >= s.length() || s.charAt(pos) != ':') throw error("expected ':'");
            pos++;
            ws();
            Object v = value(depth + 1);
            if (m.containsKey(key) && rejectDuplicateKeys) {
                pos = keyAt;
                throw error("duplicate key \"" + key + "\"");
            }
            m.put(key, v);
            ws();
            if (pos >= s.length()) throw error("unexpected end of JSON in an object");
            char c = s.charAt(pos++);
            if (c == '}') return m;
            if (c != ',') {
                pos--;
                throw error("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) throws JsonException {
        pos++; // [
        List<Object> a = new ArrayList<>();
        ws();
        if (pos < s.length() && s.charAt(pos) == ']') {
            pos++;
            return a;
        }
        while (true) {
            ws();
            a.add(value(depth + 1));
            ws();
            if (pos >= s.length()) throw error("unexpected end of JSON in an array");
            char c = s.charAt(pos++);
            if (c == ']') return a;
            if (c != ',') {
                pos--;
                throw error("expected ',' or ']'");
            }
        }
    }

    private String string() throws JsonException {
        pos++; // opening quote
        StringBuilder sb = null;
        int start = pos;
        while (true) {
            if (pos >= s.length()) throw error("unterminated string");
            char c = s.charAt(pos);
            if (c == '"') {
                String out = sb == null ? s.substring(start, pos) : sb.append(s, start, pos).toString();
                pos++;
                return out;
            }
            if (c < 0x20) throw error("control character in a string");
            if (c == '\\') {
                if (sb == null) sb = new StringBuilder();
                sb.append(s, start, pos);
                pos++;
                if (pos >= s.length()) throw error("unterminated escape");
                char e = s.charAt(pos++);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("truncated \\u escape");
                        int cp = 0;
                        for (int i = 0; i < 4; i++) {
                            int h = Character.digit(s.charAt(pos + i), 16);
                            if (h < 0) throw error("bad hex digit in \\u escape");
                            cp = cp * 16 + h;
                        }
                        pos += 4;
                        sb.append((char) cp);
                    }
                    default -> {
                        pos--;
                        throw error("invalid escape '\\" + e + "'");
                    }
                }
                start = pos;
            } else {
                pos++;
            }
        }
    }

    private Object number() throws JsonException {
        int start = pos;
        if (s.charAt(pos) == '-') pos++;
        if (pos >= s.length()) throw error("truncated number");
        if (s.charAt(pos) == '0') pos++;
        else if (s.charAt(pos) >= '1' && s.charAt(pos) <= '9') while (pos < s.length() && Character.isDigit(s.charAt(pos)) && s.charAt(pos) < 128) pos++;
        else throw error("invalid number");
        boolean integral = true;
        if (pos < s.length() && s.charAt(pos) == '.') {
            integral = false;
            pos++;
            int d = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
            if (pos == d) throw error("digits expected after '.'");
        }
        if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) pos++;
            int d = pos;
            while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
            if (pos == d) throw error("digits expected in exponent");
        }
        String t = s.substring(start, pos);
        if (integral) {
            if (t.length() <= 18) return Long.parseLong(t);
            BigInteger b = new BigInteger(t);
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        return Double.parseDouble(t);
    }

    // ------------------------------------------------------------------ writing

    /** Compact JSON text of a value built from maps, lists, strings, numbers, booleans and null. */
    public static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, -1, 0);
        return sb.toString();
    }

    /** JSON text indented by {@code indent} spaces per level (for config files people read). */
    public static String writePretty(Object v, int indent) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, indent, 0);
        return sb.toString();
    }

    private static void newline(StringBuilder sb, int indent, int level) {
        if (indent < 0) return;
        sb.append('\n');
        sb.append(" ".repeat(indent * level));
    }

    private static void write(StringBuilder sb, Object v, int indent, int level) {
        switch (v) {
            case null -> sb.append("null");
            case String str -> quote(sb, str);
            case Boolean b -> sb.append(b);
            case Double d -> number(sb, d);
            case Float f -> sb.append(Float.isFinite(f) ? Float.toString(f) : "null");
            case Number n -> sb.append(n);
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    newline(sb, indent, level + 1);
                    quote(sb, String.valueOf(e.getKey()));
                    sb.append(indent < 0 ? ":" : ": ");
                    write(sb, e.getValue(), indent, level + 1);
                }
                if (!m.isEmpty()) newline(sb, indent, level);
                sb.append('}');
            }
            case Iterable<?> it -> {
                sb.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) sb.append(indent < 0 ? "," : ", ");
                    first = false;
                    write(sb, o, indent, level + 1);
                }
                sb.append(']');
            }
            case int[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            case long[] a -> {
                sb.append('[');
                for (int i = 0; i < a.length; i++) {
                    if (i > 0) sb.append(',');
                    sb.append(a[i]);
                }
                sb.append(']');
            }
            default -> quote(sb, v.toString());
        }
    }

    /** JSON has no NaN or infinity: they are written as null. Integral doubles keep a ".0". */
    private static void number(StringBuilder sb, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) sb.append("null");
        else sb.append(d);
    }

    /** Appends {@code str} as a JSON string literal. */
    public static void quote(StringBuilder sb, String str) {
        sb.append('"');
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
