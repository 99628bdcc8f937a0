package org.prune4j.cli.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;

/**
 * What one {@code scores} run measured, as report.html: a heatmap of head importance (layer × head) per criterion, the
 * Spearman rank-correlation matrix between criteria per unit kind, each criterion's layer scores (the per-layer
 * sensitivity the depth criteria measure), and the correlation and bootstrap-stability tables.
 */
public record ScoresReport(String model, String calibration, Map<String, Map<UnitKind, UnitScores>> scores, List<Map<String, Object>> correlations,
                           List<Object> stability) {
    public ScoresReport {
        scores = new LinkedHashMap<>(scores);
        correlations = List.copyOf(correlations);
        stability = List.copyOf(stability);
    }

    static String kindName(UnitKind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }

    public ReportPage page() {
        ReportPage p = new ReportPage("prune4j scores of " + model);
        p.fact("model: " + model);
        p.fact("calibration: " + calibration);
        p.fact(scores.size() + " criteria: " + String.join(", ", scores.keySet()));

        for (var e : scores.entrySet()) {
            UnitScores h = e.getValue().get(UnitKind.HEAD);
            if (h == null) continue;
            int heads = 0;
            for (int l = 0; l < h.rows(); l++) heads = Math.max(heads, h.row(l).length);
            List<String> rows = new ArrayList<>(), cols = new ArrayList<>();
            double[][] v = new double[h.rows()][heads];
            for (int l = 0; l < h.rows(); l++) {
                rows.add("layer " + l);
                double[] r = h.row(l);
                for (int j = 0; j < heads; j++) v[l][j] = j < r.length ? r[j] : Double.NaN;
            }
            for (int j = 0; j < heads; j++) cols.add("head " + j);
            p.plot("Head importance: " + e.getKey(), Svg.heatmap("head importance, " + e.getKey(), "", rows, cols, v),
                    "The score criterion " + e.getKey() + " gives each attention head (query head h of layer l) of the dense model (criteria that calibrate: on "
                            + calibration + "); higher means more important, the heads a structured prune keeps. Units are the criterion's own, so compare cells within this plot; "
                            + "colour from this criterion's smallest to its largest score.");
        }

        for (UnitKind kind : UnitKind.values()) {
            List<String> names = new ArrayList<>();
            for (var e : scores.entrySet()) if (e.getValue().containsKey(kind)) names.add(e.getKey());
            if (names.size() < 2) continue;
            double[][] m = new double[names.size()][names.size()];
            for (int i = 0; i < names.size(); i++) {
                java.util.Arrays.fill(m[i], Double.NaN);
                m[i][i] = 1;
            }
            for (Map<String, Object> c : correlations) {
                if (!kindName(kind).equals(c.get("kind"))) continue;
                int a = names.indexOf((String) c.get("a")), b = names.indexOf((String) c.get("b"));
                if (a < 0 || b < 0) continue;
                double r = c.get("spearman") instanceof Number n ? n.doubleValue() : Double.NaN;
                m[a][b] = m[b][a] = r;
            }
            int units = 0;
            for (Map<String, Object> c : correlations) if (kindName(kind).equals(c.get("kind"))) units = ((Number) c.get("units")).intValue();
            p.plot("Rank correlation between criteria: " + kindName(kind) + " units",
                    Svg.heatmap("Spearman's rho between criteria, " + kindName(kind) + " scores", "", names, names, m, -1, 1, true),
                    "Spearman's rank correlation (mid-ranks for ties) between two criteria's scores over all " + units + " " + kindName(kind)
                            + " units of the model (every layer's units pooled); 1 on the diagonal, 1 = same ranking, -1 = reversed, n/a where one criterion's scores are all tied. "
                            + "Kendall's tau-b and the mean over layers are in the table below.");
        }

        List<Svg.Series> layer = new ArrayList<>();
        for (var e : scores.entrySet()) {
            UnitScores u = e.getValue().get(UnitKind.LAYER);
            if (u == null) continue;
            double[] r = u.row(0);
            double max = 0;
            for (double x : r) max = Math.max(max, Math.abs(x));
            double[] x = new double[r.length], y = new double[r.length];
            for (int l = 0; l < r.length; l++) {
                x[l] = l;
                y[l] = max == 0 ? 0 : r[l] / max;
            }
            layer.add(new Svg.Series(e.getKey(), x, y));
        }
        if (!layer.isEmpty())
            p.plot("Per-layer sensitivity", Svg.lines("layer importance (each criterion scaled to its largest)", "decoder layer", "score / largest score", layer, false),
                    "Each criterion's score for removing a whole decoder layer, measured on the dense model (minitron: block importance 1 - cos(input, output) of the layer on the "
                            + "calibration windows, or with depth-metric=loss the increase of the LM loss when only that layer is skipped; taylor: LLM-Pruner's salience summed over the layer's weights), "
                            + "divided by that criterion's largest layer score so that criteria of different units share the axis. A high point is a layer the model is sensitive to.");

        List<List<Object>> rows = new ArrayList<>();
        for (Map<String, Object> c : correlations)
            rows.add(List.of(c.get("kind"), c.get("a"), c.get("b"), c.get("units"), str(c.get("spearman")), str(c.get("kendall_tau_b")), str(c.get("spearman_mean_over_layers"))));
        p.table(new Table("Rank correlations", List.of("kind", "a", "b", "units", "spearman", "kendall tau-b", "spearman mean over layers"), rows),
                "Spearman and Kendall tau-b over all units of a kind, per pair of criteria; for per-layer kinds also Spearman's mean over layers");
        if (!stability.isEmpty()) {
            List<List<Object>> st = new ArrayList<>();
            for (Object o : stability) {
                @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) o;
                st.add(List.of(m.get("criterion"), m.get("kind"), m.get("k"), m.get("pairwise_overlap"), m.get("overlap_with_all_windows"), m.get("resamples")));
            }
            p.table(new Table("Top-k stability", List.of("criterion", "kind", "k", "pairwise overlap", "overlap with all windows", "resamples"), st),
                    "Mean overlap |A ∩ B|/k of each criterion's per-row top-k between bootstrap resamples of the calibration windows, and against the top-k on all windows");
        }
        return p;
    }

    private static Object str(Object v) {
        return v == null ? "n/a" : v;
    }
}
