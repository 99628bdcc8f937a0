package org.prune4j.io.json;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

/**
 * Typed access to the keys of one parsed JSON object, so every file format states its keys' types once and every
 * violation says which key and what was found. The caller decides what a violation is ({@link Failure}): a config
 * error naming the file, a pruning error naming the ratio file. Absent and null keys take the default unless a
 * method says otherwise.
 */
public final class JsonFields<E extends Exception> {
    /** Makes the exception for {@code key} (with the prefix of a nested object, e.g. "rope_scaling.factor"). */
    public interface Failure<E extends Exception> {
        E at(String key, String what);
    }

    private final Map<String, Object> map;
    private final String prefix;
    private final Failure<E> failure;

    public JsonFields(Map<String, Object> map, Failure<E> failure) {
        this(map, "", failure);
    }

    private JsonFields(Map<String, Object> map, String prefix, Failure<E> failure) {
        this.map = map;
        this.prefix = prefix;
        this.failure = failure;
    }

    /** The fields of the nested object at {@code key} (messages then say "key.inner"). */
    public JsonFields<E> nested(String key, Map<String, Object> inner) {
        return new JsonFields<>(inner, prefix + key + ".", failure);
    }

    public Map<String, Object> map() { return map; }

    public boolean has(String key) { return map.containsKey(key); }

    /** The failure for {@code key}: "{@code what}" completes "key 'K' ...". */
    public E error(String key, String what) {
        return failure.at(prefix + key, what);
    }

    public int requiredInt(String key) throws E {
        if (map.get(key) == null) throw error(key, "is required but missing");
        return positiveInt(key, null);
    }

    /** A positive int, or {@code dflt} when absent or null. */
    public Integer positiveInt(String key, Integer dflt) throws E {
        Integer v = intOrNull(key, dflt, false);
        if (v != null && v <= 0) throw error(key, "must be a positive integer, found " + v);
        return v;
    }

    public int nonNegativeInt(String key, int dflt) throws E {
        Integer v = intOrNull(key, dflt, false);
        if (v < 0) throw error(key, "must be a non-negative integer, found " + v);
        return v;
    }

    /** An int; null in the file means "absent" (the default) unless {@code nullMeansNull}, then null. */
    public Integer intOrNull(String key, Integer dflt, boolean nullMeansNull) throws E {
        if (!map.containsKey(key)) return dflt;
        Object v = map.get(key);
        if (v == null) return nullMeansNull ? null : dflt;
        return toInt(key, v);
    }

    /** {@code v} (the value at {@code key}, or an element of it) as a 32-bit int. */
    public int toInt(String key, Object v) throws E {
        if (v instanceof Long l) {
            if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw error(key, "value " + l + " does not fit a 32-bit integer");
            return (int) (long) l;
        }
        if (v instanceof BigInteger bi) throw error(key, "value " + bi + " does not fit a 32-bit integer");
        throw error(key, "must be an integer, found " + Json.typeName(v) + (v instanceof Double d ? " " + d : ""));
    }

    /** A number, or {@code dflt} when absent or null. */
    public double number(String key, double dflt) throws E {
        Object v = map.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Number n)) throw error(key, "must be a number, found " + Json.typeName(v));
        return n.doubleValue();
    }

    /** A positive finite number, or {@code dflt} when absent or null. */
    public double positiveDouble(String key, double dflt) throws E {
        if (map.get(key) == null) return dflt;
        double d = number(key, dflt);
        if (!(d > 0) || Double.isInfinite(d)) throw error(key, "must be a positive number, found " + map.get(key));
        return d;
    }

    public double requiredPositiveDouble(String key) throws E {
        if (map.get(key) == null) throw error(key, "is required but missing");
        return positiveDouble(key, 0);
    }

    public boolean bool(String key, boolean dflt) throws E {
        Object v = map.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Boolean b)) throw error(key, "must be true or false, found " + Json.typeName(v));
        return b;
    }

    public String string(String key, String dflt) throws E {
        Object v = map.get(key);
        if (v == null) return dflt;
        if (!(v instanceof String s)) throw error(key, "must be a string, found " + Json.typeName(v));
        return s;
    }

    /** The object at {@code key}, or null when absent or null. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> object(String key) throws E {
        Object v = map.get(key);
        if (v == null) return null;
        if (!(v instanceof Map<?, ?>)) throw error(key, "must be an object or null, found " + Json.typeName(v));
        return (Map<String, Object>) v;
    }

    /** The list at {@code key}, or null when absent or null. */
    public List<?> list(String key) throws E {
        Object v = map.get(key);
        if (v == null) return null;
        if (!(v instanceof List<?> l)) throw error(key, "must be a list, found " + Json.typeName(v));
        return l;
    }
}
