package org.prune4j.pruning.structured;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.io.json.JsonException;

/**
 * A {@link Plan} as JSON ({@code --plan-out}, {@code --plan}): written atomically, keys in a fixed order and doubles
 * in Java's shortest round-trip form, so the same plan always gives the same bytes and reads back equal.
 */
public final class PlanJson {
    private PlanJson() {}

    public static final String FORMAT = "prune4j-structured-plan";
    public static final long VERSION = 1;
    /** Largest plan file read (a 70B model's plan with every score is a few tens of MB). */
    static final long MAX_FILE_SIZE = 1L << 30;

    /** The plan as a JSON object. */
    public static Map<String, Object> toJson(Plan p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        Plan.Source s = p.source();
        Map<String, Object> src = new LinkedHashMap<>();
        src.put("fingerprint", s.fingerprint());
        src.put("hidden_size", (long) s.hiddenSize());
        src.put("head_dim", (long) s.headDim());
        src.put("num_attention_heads", s.heads());
        src.put("num_key_value_heads", s.kvHeads());
        src.put("intermediate_size", s.intermediate());
        m.put("source", src);
        m.put("criterion", p.criterion());
        Map<String, Object> t = new LinkedHashMap<>();
        new TreeMap<>(p.targets()).forEach((k, v) -> t.put(k, (long) v));
        m.put("targets", t);
        m.put("channels", p.channels());
        List<Object> layers = new ArrayList<>();
        for (Plan.LayerPlan l : p.layers()) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("source", (long) l.source());
            lm.put("heads", l.heads());
            List<Object> kv = new ArrayList<>();
            for (int[] g : l.kv()) kv.add(g);
            lm.put("kv_heads", kv);
            lm.put("neurons", l.neurons());
            layers.add(lm);
        }
        m.put("layers", layers);
        Map<String, Object> scores = new LinkedHashMap<>();
        for (Map.Entry<UnitKind, UnitScores> e : p.scores().entrySet()) {
            List<Object> rows = new ArrayList<>();
            for (double[] r : e.getValue().scores()) {
                List<Object> row = new ArrayList<>(r.length);
                for (double v : r) row.add(v);
                rows.add(row);
            }
            scores.put(e.getKey().name().toLowerCase(java.util.Locale.ROOT), rows);
        }
        m.put("scores", scores);
        return m;
    }

    /** Writes the plan to {@code file} atomically. */
    public static void write(Plan p, Path file) throws IOException {
        AtomicFiles.writeString(file, Json.writePretty(toJson(p), 1) + "\n");
    }

    /** Reads a plan; a malformed file is an error naming the file and the key. */
    public static Plan read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        if (Files.size(file) > MAX_FILE_SIZE) throw new StructuredException(file + ": larger than any plan (" + MAX_FILE_SIZE + " bytes)");
        Map<String, Object> m;
        try {
            m = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8), true);
        } catch (JsonException e) {
            throw new StructuredException(file + ": not valid JSON: " + e.getMessage());
        }
        R r = new R(file);
        if (!FORMAT.equals(m.get("format"))) throw r.err("format", "must be \"" + FORMAT + "\"");
        if (!Long.valueOf(VERSION).equals(m.get("version"))) throw r.err("version", "must be " + VERSION + " (found " + m.get("version") + ")");
        Map<String, Object> src = r.obj(m, "source");
        Plan.Source source = new Plan.Source(r.str(src, "source.fingerprint", "fingerprint"), r.integer(src, "source.hidden_size", "hidden_size"),
                r.integer(src, "source.head_dim", "head_dim"), r.ints(src.get("num_attention_heads"), "source.num_attention_heads"),
                r.ints(src.get("num_key_value_heads"), "source.num_key_value_heads"), r.ints(src.get("intermediate_size"), "source.intermediate_size"));
        Map<String, Integer> targets = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : r.obj(m, "targets").entrySet()) targets.put(e.getKey(), r.integer(r.obj(m, "targets"), "targets." + e.getKey(), e.getKey()));
        List<Plan.LayerPlan> layers = new ArrayList<>();
        if (!(m.get("layers") instanceof List<?> ls)) throw r.err("layers", "must be a list");
        for (int i = 0; i < ls.size(); i++) {
            if (!(ls.get(i) instanceof Map<?, ?> raw)) throw r.err("layers[" + i + "]", "must be an object");
            @SuppressWarnings("unchecked") Map<String, Object> lm = (Map<String, Object>) raw;
            String at = "layers[" + i + "].";
            if (!(lm.get("kv_heads") instanceof List<?> kvl)) throw r.err(at + "kv_heads", "must be a list of lists");
            int[][] kv = new int[kvl.size()][];
            for (int j = 0; j < kv.length; j++) kv[j] = r.ints(kvl.get(j), at + "kv_heads[" + j + "]");
            layers.add(new Plan.LayerPlan(r.integer(lm, at + "source", "source"), r.ints(lm.get("heads"), at + "heads"), kv, r.ints(lm.get("neurons"), at + "neurons")));
        }
        Map<UnitKind, UnitScores> scores = new EnumMap<>(UnitKind.class);
        String criterion = r.str(m, "criterion", "criterion");
        for (Map.Entry<String, Object> e : r.obj(m, "scores").entrySet()) {
            UnitKind k;
            try {
                k = UnitKind.valueOf(e.getKey().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException x) {
                throw r.err("scores." + e.getKey(), "is not a unit kind");
            }
            if (!(e.getValue() instanceof List<?> rows)) throw r.err("scores." + e.getKey(), "must be a list of lists");
            double[][] s = new double[rows.size()][];
            for (int i = 0; i < s.length; i++) s[i] = r.doubles(rows.get(i), "scores." + e.getKey() + "[" + i + "]");
            try {
                scores.put(k, new UnitScores(k, criterion, s));
            } catch (IllegalArgumentException x) {
                throw r.err("scores." + e.getKey(), x.getMessage());
            }
        }
        try {
            return new Plan(source, criterion, targets, layers, r.ints(m.get("channels"), "channels"), scores);
        } catch (StructuredException e) {
            throw new StructuredException(file + ": " + e.getMessage());
        }
    }

    /** Typed reads with messages naming the file and the key. */
    private record R(Path file) {
        StructuredException err(String key, String what) {
            return new StructuredException(file + ": key '" + key + "' " + what);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> obj(Map<String, Object> m, String key) {
            if (!(m.get(key) instanceof Map<?, ?> o)) throw err(key, "must be an object");
            return (Map<String, Object>) o;
        }

        String str(Map<String, Object> m, String where, String key) {
            if (!(m.get(key) instanceof String s)) throw err(where, "must be a string");
            return s;
        }

        int integer(Map<String, Object> m, String where, String key) {
            if (!(m.get(key) instanceof Long l) || l < 0 || l > Integer.MAX_VALUE) throw err(where, "must be a non-negative integer");
            return (int) (long) l;
        }

        int[] ints(Object v, String where) {
            if (!(v instanceof List<?> l)) throw err(where, "must be a list of integers");
            int[] a = new int[l.size()];
            for (int i = 0; i < a.length; i++) {
                if (!(l.get(i) instanceof Long x) || x < 0 || x > Integer.MAX_VALUE) throw err(where, "must be a list of non-negative integers");
                a[i] = (int) (long) x;
            }
            return a;
        }

        double[] doubles(Object v, String where) {
            if (!(v instanceof List<?> l)) throw err(where, "must be a list of numbers");
            double[] a = new double[l.size()];
            for (int i = 0; i < a.length; i++) {
                if (!(l.get(i) instanceof Number x)) throw err(where, "must be a list of finite numbers");
                a[i] = x.doubleValue();
            }
            return a;
        }
    }
}
