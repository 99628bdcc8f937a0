package org.prune4j.io.tokenizer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.prune4j.io.json.Json;

/** Typed access to tokenizer.json objects; a missing or mistyped field is an error naming the file and the field. */
final class JsonFields {
    final Path file;

    JsonFields(Path file) {
        this.file = file;
    }

    TokenizerFormatException error(String where, String problem) {
        return new TokenizerFormatException(file, where + ": " + problem);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(Object v, String where) throws TokenizerFormatException {
        if (v instanceof Map) return (Map<String, Object>) v;
        throw error(where, "expected an object, found " + Json.typeName(v));
    }

    @SuppressWarnings("unchecked")
    List<Object> list(Map<String, Object> m, String key, String where) throws TokenizerFormatException {
        Object v = m.get(key);
        if (v instanceof List) return (List<Object>) v;
        throw error(where + "." + key, "expected an array, found " + Json.typeName(v));
    }

    String string(Map<String, Object> m, String key, String where) throws TokenizerFormatException {
        Object v = m.get(key);
        if (v instanceof String s) return s;
        throw error(where + "." + key, "expected a string, found " + Json.typeName(v));
    }

    /** A string field that may be absent or null. */
    String optString(Map<String, Object> m, String key, String where) throws TokenizerFormatException {
        Object v = m.get(key);
        if (v == null) return null;
        if (v instanceof String s) return s;
        throw error(where + "." + key, "expected a string or null, found " + Json.typeName(v));
    }

    boolean bool(Map<String, Object> m, String key, boolean dflt, String where) throws TokenizerFormatException {
        Object v = m.get(key);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        throw error(where + "." + key, "expected true or false, found " + Json.typeName(v));
    }

    long integer(Object v, String where) throws TokenizerFormatException {
        if (v instanceof Long l) return l;
        throw error(where, "expected an integer, found " + (v instanceof Number ? v : Json.typeName(v)));
    }

    int id(Object v, String where) throws TokenizerFormatException {
        long l = integer(v, where);
        if (l < 0 || l > Integer.MAX_VALUE - 1) throw error(where, "token id " + l + " is out of range");
        return (int) l;
    }

    /** The "type" of a component. */
    String type(Map<String, Object> m, String where) throws TokenizerFormatException {
        return string(m, "type", where);
    }

    /** A Split/Replace pattern: {"String": s} or {"Regex": r}; returns a Java regex. */
    java.util.regex.Pattern pattern(Map<String, Object> m, String where) throws TokenizerFormatException {
        Map<String, Object> p = object(m.get("pattern"), where + ".pattern");
        try {
            if (p.get("String") instanceof String s) return java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(s));
            if (p.get("Regex") instanceof String r) return OnigRegex.compile(r);
        } catch (java.util.regex.PatternSyntaxException e) {
            throw error(where + ".pattern", "regex does not compile: " + e.getDescription());
        }
        throw error(where + ".pattern", "expected {\"String\": ...} or {\"Regex\": ...}");
    }
}
