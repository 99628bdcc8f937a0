package org.prune4j.api.compress;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.prune4j.api.ProgressListener;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import org.prune4j.pruning.structured.Aggregation;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.StructuredCriteria;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;

/**
 * Minitron's importance of every head, neuron, channel and layer of the dense model, computed once per run and kept
 * in the work folder ({@code scores.json}, atomic) so a rerun plans from the same numbers without scoring again. The
 * file carries a key (the model's fingerprint and every calibration option); a file with another key, or one that
 * cannot be read, is scored again and replaced, with a line saying why.
 */
public final class DenseScores {
    private DenseScores() {}

    static final String FILE = "scores.json", FORMAT = "prune4j-compress-scores-1", CRITERION = "minitron";

    /** The unit kinds compress plans from. */
    static final Set<UnitKind> KINDS = EnumSet.of(UnitKind.HEAD, UnitKind.NEURON, UnitKind.CHANNEL, UnitKind.LAYER);

    /** Everything the scores depend on: the model's fingerprint and the calibration (file, size, windows, length, separator, batch). */
    public static Map<String, Object> key(String fingerprint, Path calib, int windows, int seqLen, String docSeparator, int batch, long seed) throws IOException {
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("criterion", CRITERION + " agg-seq mean agg-batch l2");
        k.put("model_fingerprint", fingerprint);
        k.put("calib", calib.toAbsolutePath().normalize().toString());
        k.put("calib_bytes", Files.size(calib));
        k.put("windows", (long) windows);
        k.put("seq_len", (long) seqLen);
        k.put("doc_separator", docSeparator);
        k.put("batch", (long) batch);
        k.put("seed", seed);
        return k;
    }

    /** The scores in {@code work} under {@code key}, or the teacher scored on {@code windows} (then saved there). */
    public static Map<UnitKind, UnitScores> loadOrScore(Path work, Map<String, Object> key, Teacher t, int[][] windows, int batch, long seed, ProgressListener l)
            throws IOException {
        Path f = work.resolve(FILE);
        if (Files.exists(f)) {
            String why;
            try {
                Map<String, Object> m = Json.parseObject(Files.readString(f), false);
                Object saved = m.get("key");
                if (!FORMAT.equals(m.get("format"))) why = "format is " + m.get("format") + ", expected " + FORMAT;
                else if (!Json.write(key).equals(saved instanceof Map<?, ?> ? Json.write(saved) : null)) why = "scored with " + Json.write(saved) + ", this run needs " + Json.write(key);
                else {
                    Map<UnitKind, UnitScores> s = parse(m.get("scores"), f);
                    l.message("dense scores read from " + f + " (same model fingerprint and calibration; not scored again)");
                    return s;
                }
            } catch (IOException | RuntimeException e) {
                why = "cannot be read: " + e.getMessage();
            }
            l.message(f + ": " + why + "; scoring again");
        }
        l.message(String.format(Locale.ROOT, "scoring with minitron on %d windows x %d", windows.length, windows[0].length));
        Map<UnitKind, UnitScores> s = new EnumMap<>(StructuredCriteria.get(CRITERION).score(new ScoringInput(t.model(), windows, batch,
                Aggregation.parse("mean", "--agg-seq"), Aggregation.parse("l2", "--agg-batch"), seed, Map.of(), l.asPrintStream()), KINDS));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("key", key);
        Map<String, Object> byKind = new LinkedHashMap<>();
        s.forEach((kind, u) -> {
            List<Object> rows = new ArrayList<>();
            for (double[] r : u.scores()) {
                List<Object> row = new ArrayList<>(r.length);
                for (double v : r) row.add(v); // Double.toString: read back to the same bits
                rows.add(row);
            }
            byKind.put(kind.name().toLowerCase(Locale.ROOT), rows);
        });
        m.put("scores", byKind);
        AtomicFiles.writeString(f, Json.write(m));
        return s;
    }

    private static Map<UnitKind, UnitScores> parse(Object o, Path f) throws IOException {
        if (!(o instanceof Map<?, ?> byKind)) throw new IOException(f + ": key 'scores' must be an object");
        Map<UnitKind, UnitScores> s = new EnumMap<>(UnitKind.class);
        for (Map.Entry<?, ?> e : byKind.entrySet()) {
            UnitKind kind = UnitKind.valueOf(((String) e.getKey()).toUpperCase(Locale.ROOT));
            List<?> rows = (List<?>) e.getValue();
            double[][] v = new double[rows.size()][];
            for (int i = 0; i < v.length; i++) {
                List<?> r = (List<?>) rows.get(i);
                v[i] = new double[r.size()];
                for (int j = 0; j < v[i].length; j++) v[i][j] = ((Number) r.get(j)).doubleValue();
            }
            s.put(kind, new UnitScores(kind, CRITERION, v));
        }
        if (!s.keySet().containsAll(KINDS)) throw new IOException(f + ": scores for " + KINDS + " expected, found " + s.keySet());
        return s;
    }
}
