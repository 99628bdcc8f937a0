package org.prune4j.io.json;

import java.nio.charset.StandardCharsets;

/**
 * A strict (RFC 8259) pull reader over UTF-8 JSON bytes: the caller asks for the value it expects next, so a format
 * reader states its schema as code and builds only what it keeps (the safetensors header reader), or builds a
 * generic tree ({@link Json}). One grammar for both. Nesting is bounded; every syntax error goes through
 * {@link Errors} with the byte offset, so each format words its own messages.
 *
 * <pre>
 *   r.beginObject();
 *   for (String key; (key = r.nextKey()) != null; ) { ... read or r.skipValue() ... }
 * </pre>
 */
public final class JsonPull<E extends Exception> {
    /** Makes the exception for a syntax error {@code what} at byte {@code at}. */
    public interface Errors<E extends Exception> {
        E syntax(String what, int at);
    }

    /** What the next value is. */
    public enum Kind { OBJECT, ARRAY, STRING, NUMBER, BOOLEAN, NULL }

    private final byte[] b;
    private final int maxDepth;
    private final boolean rejectLoneSurrogates;
    private final Errors<E> errors;
    private final boolean[] first; // per open container: no member read yet
    private int pos, depth;
    private boolean integral; // the last number's

    /**
     * A reader of {@code bytes} (valid UTF-8: the caller checks or guarantees it); at most {@code maxDepth} nested
     * containers; {@code rejectLoneSurrogates} refuses \\u escapes that do not form a code point (as serde_json does).
     */
    public JsonPull(byte[] bytes, int maxDepth, boolean rejectLoneSurrogates, Errors<E> errors) {
        this.b = bytes;
        this.maxDepth = maxDepth;
        this.rejectLoneSurrogates = rejectLoneSurrogates;
        this.errors = errors;
        this.first = new boolean[maxDepth + 1];
    }

    /** The byte offset of the cursor. */
    public int pos() { return pos; }

    /** The bytes [from, to) as text (for messages and numbers). */
    public String text(int from, int to) { return new String(b, from, to - from, StandardCharsets.UTF_8); }

    /** A syntax error at the cursor. */
    public E error(String what) { return errors.syntax(what, pos); }

    private void ws() {
        while (pos < b.length) {
            byte c = b[pos];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') pos++;
            else break;
        }
    }

    /** Skips whitespace; true when the input is used up (the caller decides whether trailing data is an error). */
    public boolean atEnd() {
        ws();
        return pos == b.length;
    }

    /** The kind of the next value, after whitespace; a character that starts no value is a syntax error. */
    public Kind peek() throws E {
        ws();
        if (pos >= b.length) throw error("unexpected end of the input");
        Kind k = kind(b[pos]);
        if (k == null) throw unexpected(b[pos]);
        return k;
    }

    /** True when the next thing, after whitespace, can start a value (so a schema error can say what was found). */
    public boolean atValue() {
        return upcoming() != null;
    }

    /** The kind of the next value after whitespace, or null at the end or at a character that starts no value. */
    public Kind upcoming() {
        ws();
        return pos < b.length ? kind(b[pos]) : null;
    }

    private static Kind kind(byte c) {
        return switch (c) {
            case '{' -> Kind.OBJECT;
            case '[' -> Kind.ARRAY;
            case '"' -> Kind.STRING;
            case 't', 'f' -> Kind.BOOLEAN;
            case 'n' -> Kind.NULL;
            case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' -> Kind.NUMBER;
            default -> null;
        };
    }

    private E unexpected(byte c) {
        return error("unexpected character '" + (c >= 0x20 && c < 0x7f ? Character.toString(c) : String.format("\\x%02x", c & 0xff)) + "'");
    }

    /** The byte at offset {@code i} (a number's digits, read without making a string). */
    public byte byteAt(int i) { return b[i]; }

    private void open(char c) throws E {
        ws();
        if (pos >= b.length || b[pos] != c) throw error("expected '" + c + "'");
        if (depth == maxDepth) throw error("nested deeper than " + maxDepth + " levels");
        pos++;
        first[depth++] = true;
    }

    public void beginObject() throws E { open('{'); }

    public void beginArray() throws E { open('['); }

    /** Moves past the ',' between members, or past the closing bracket (returning false). */
    private boolean next(char close) throws E {
        ws();
        if (pos >= b.length) throw error("unexpected end of the input");
        if (b[pos] == close) {
            pos++;
            depth--;
            return false;
        }
        if (first[depth - 1]) {
            first[depth - 1] = false;
        } else {
            if (b[pos] != ',') throw error("expected ',' or '" + close + "'");
            pos++;
            ws();
        }
        return true;
    }

    /** The next member's key of the open object (the cursor then at its value), or null after the closing '}'. */
    public String nextKey() throws E {
        if (!next('}')) return null;
        if (pos >= b.length || b[pos] != '"') throw error("expected a string key");
        String key = string();
        ws();
        if (pos >= b.length || b[pos] != ':') throw error("expected ':'");
        pos++;
        return key;
    }

    /** True when the open array has another element (the cursor then at it); false after the closing ']'. */
    public boolean nextElement() throws E {
        return next(']');
    }

    /** A string value, escapes decoded. */
    public String string() throws E {
        return string(true);
    }

    public boolean bool() throws E {
        ws();
        if (pos < b.length && b[pos] == 't') {
            literal("true");
            return true;
        }
        literal("false");
        return false;
    }

    public void nullValue() throws E {
        ws();
        literal("null");
    }

    /**
     * Moves past a number and returns where it began (its text is {@code text(start, pos())}); integers, fractions
     * and exponents as the grammar allows, nothing else.
     */
    public int number() throws E {
        ws();
        int start = pos;
        if (pos < b.length && b[pos] == '-') pos++;
        if (pos >= b.length) throw error("truncated number");
        byte c = b[pos];
        if (c == '0') pos++;
        else if (c >= '1' && c <= '9') while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') pos++;
        else throw error("invalid number");
        integral = true;
        if (pos < b.length && b[pos] == '.') {
            integral = false;
            pos++;
            int d = pos;
            while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') pos++;
            if (pos == d) throw error("digits expected after '.'");
        }
        if (pos < b.length && (b[pos] == 'e' || b[pos] == 'E')) {
            integral = false;
            pos++;
            if (pos < b.length && (b[pos] == '+' || b[pos] == '-')) pos++;
            int d = pos;
            while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') pos++;
            if (pos == d) throw error("digits expected in the exponent");
        }
        return start;
    }

    /** True when the last {@link #number()} had no fraction and no exponent. */
    public boolean integral() { return integral; }

    /** Skips one value of any kind, checking its grammar and its nesting. */
    public void skipValue() throws E {
        switch (peek()) {
            case OBJECT -> {
                beginObject();
                while (nextKey() != null) skipValue();
            }
            case ARRAY -> {
                beginArray();
                while (nextElement()) skipValue();
            }
            case STRING -> string(false);
            case BOOLEAN -> bool();
            case NULL -> nullValue();
            case NUMBER -> number();
        }
    }

    private void literal(String word) throws E {
        for (int i = 0; i < word.length(); i++)
            if (pos + i >= b.length || b[pos + i] != word.charAt(i)) throw error("expected " + word);
        pos += word.length();
    }

    /** The string at the cursor; with {@code build} false only checked and skipped. */
    private String string(boolean build) throws E {
        ws();
        if (pos >= b.length || b[pos] != '"') throw error("expected a string");
        pos++;
        StringBuilder sb = null;
        int start = pos;
        while (true) {
            if (pos >= b.length) throw error("unterminated string");
            int c = b[pos] & 0xff;
            if (c == '"') {
                String out = null;
                if (build) out = sb == null ? text(start, pos) : sb.append(text(start, pos)).toString();
                pos++;
                return out;
            }
            if (c < 0x20) throw error("control character in a string");
            if (c != '\\') {
                pos++;
                continue;
            }
            if (build) {
                if (sb == null) sb = new StringBuilder();
                sb.append(text(start, pos));
            }
            pos++;
            if (pos >= b.length) throw error("unterminated escape");
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
                    if (rejectLoneSurrogates && Character.isLowSurrogate(hi)) throw error("lone low surrogate in a \\u escape");
                    if (rejectLoneSurrogates && Character.isHighSurrogate(hi)) {
                        if (pos + 2 > b.length || b[pos] != '\\' || b[pos + 1] != 'u') throw error("lone high surrogate in a \\u escape");
                        pos += 2;
                        char lo = hex4();
                        if (!Character.isLowSurrogate(lo)) throw error("high surrogate not followed by a low surrogate");
                        if (build) sb.append(hi);
                        out = lo;
                    } else {
                        out = hi;
                    }
                }
                default -> {
                    pos--;
                    throw error("invalid escape '\\" + e + "'");
                }
            }
            if (build) sb.append(out);
            start = pos;
        }
    }

    private char hex4() throws E {
        if (pos + 4 > b.length) throw error("truncated \\u escape");
        int cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = b[pos + i] < 0 ? -1 : Character.digit((char) b[pos + i], 16);
            if (h < 0) throw error("bad hex digit in a \\u escape");
            cp = cp * 16 + h;
        }
        pos += 4;
        return (char) cp;
    }
}
