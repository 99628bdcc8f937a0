package org.prune4j.io.json;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader and writer (RFC 8259) with no dependencies, because the core modules take none.
 * Values map to {@code Map<String,Object>} (insertion ordered), {@code List<Object>}, {@code String},
 * {@code Long} (integers that fit), {@code BigInteger} (those that don't), {@code Double}, {@code Boolean}
 * and {@code null}. Nesting depth is bounded so hostile input cannot overflow the stack. Parsing runs on
 * {@link JsonPull}, the one JSON grammar of the project.
 */
public final class Json {
    /** Deepest nesting accepted. */
    public static final int MAX_DEPTH = 512;

    private Json() {}

    /** Parses one JSON value (trailing whitespace allowed, nothing else). Duplicate object keys: last one wins. */
    public static Object parse(String text) throws JsonException {
        return parse(text, false);
    }

    /** Parses one JSON value; with {@code rejectDuplicateKeys} a repeated key in an object is an error naming it. */
    public static Object parse(String text, boolean rejectDuplicateKeys) throws JsonException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        JsonPull<JsonException> r = new JsonPull<>(bytes, MAX_DEPTH, false, (what, at) -> error(bytes, what, at));
        Object v = value(r, bytes, rejectDuplicateKeys);
        if (!r.atEnd()) throw r.error("unexpected data after the JSON value");
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

    private static JsonException error(byte[] b, String what, int at) {
        int from = Math.max(0, at - 20), to = Math.min(b.length, at + 20);
        String near = new String(b, from, to - from, StandardCharsets.UTF_8).replaceAll("[\\p{Cntrl}]", " ");
        return new JsonException(what + " at byte " + at + " (near \"" + near + "\")");
    }

    /** The next value as a tree. */
    private static Object value(JsonPull<JsonException> r, byte[] bytes, boolean rejectDuplicateKeys) throws JsonException {
        return switch (r.peek()) {
            case OBJECT -> {
                r.beginObject();
                Map<String, Object> m = new LinkedHashMap<>();
                for (String key; (key = r.nextKey()) != null; ) {
                    int keyAt = r.pos();
                    Object v = value(r, bytes, rejectDuplicateKeys);
                    if (rejectDuplicateKeys && m.containsKey(key)) throw error(bytes, "duplicate key \"" + key + "\"", keyAt);
                    m.put(key, v);
                }
                yield m;
            }
            case ARRAY -> {
                r.beginArray();
                List<Object> a = new ArrayList<>();
                while (r.nextElement()) a.add(value(r, bytes, rejectDuplicateKeys));
                yield a;
            }
            case STRING -> r.string();
            case BOOLEAN -> r.bool();
            case NULL -> {
                r.nullValue();
                yield null;
            }
            case NUMBER -> {
                int start = r.number(), end = r.pos();
                String t = r.text(start, end);
                if (!r.integral()) yield Double.parseDouble(t);
                if (t.length() <= 18) yield Long.parseLong(t);
                BigInteger b = new BigInteger(t);
                yield b.bitLength() < 64 ? (Object) b.longValue() : b;
            }
        };
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
