package org.prune4j.cli.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.prune4j.io.json.Json;

/**
 * What one {@code distill} run did, as report.html: the training loss per step (and its parts: KD, CE, hidden),
 * the held-out perplexity before, during and after, and the learning-rate schedule, from the run's step records
 * (its --log lines, which a resumed run continues).
 */
public record DistillReport(String student, String teacher, String data, String eval, List<Map<String, Object>> steps, Map<String, Object> result) {
    public DistillReport {
        steps = List.copyOf(steps);
        result = new LinkedHashMap<>(result);
    }

    /** The step records of a --log file, one per step (a step logged twice, by a run resumed from before it, keeps its last line). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> readLog(Path log) throws IOException {
        TreeMap<Long, Map<String, Object>> by = new TreeMap<>();
        for (String line : Files.readAllLines(log)) {
            if (line.isBlank()) continue;
            Object o;
            try {
                o = Json.parse(line);
            } catch (org.prune4j.io.json.JsonException e) {
                continue; // a line cut short by a kill
            }
            if (o instanceof Map<?, ?> m && m.get("step") instanceof Number n) by.put(n.longValue(), (Map<String, Object>) m);
        }
        return new ArrayList<>(by.values());
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private List<String> parts() {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> s : steps)
            for (String k : s.keySet())
                if (!List.of("step", "loss", "lr", "grad_norm", "tokens", "eval_ppl").contains(k) && !names.contains(k)) names.add(k);
        return names;
    }

    /** True when {@code part} equals the total loss at every step. */
    private boolean samePart(String part) {
        for (Map<String, Object> s : steps) if (!(num(s.get(part)) == num(s.get("loss")))) return false;
        return true;
    }

    private Svg.Series series(String name, String key) {
        List<double[]> pts = new ArrayList<>();
        for (Map<String, Object> s : steps) {
            double y = num(s.get(key));
            if (Double.isFinite(y)) pts.add(new double[]{num(s.get("step")), y});
        }
        double[] x = new double[pts.size()], y = new double[pts.size()];
        for (int i = 0; i < x.length; i++) { x[i] = pts.get(i)[0]; y[i] = pts.get(i)[1]; }
        return new Svg.Series(name, x, y);
    }

    public ReportPage page() {
        ReportPage p = new ReportPage("prune4j distill of " + student);
        p.fact("student: " + student);
        p.fact("teacher: " + (teacher == null ? "none (hard labels only)" : teacher));
        p.fact("training data: " + data);
        if (eval != null) p.fact("evaluation: " + eval);
        p.fact(String.format(java.util.Locale.ROOT, "%d steps recorded; loss %s -> %s", steps.size(), Svg.num(num(result.get("first_loss"))), Svg.num(num(result.get("final_loss")))));
        if (steps.isEmpty()) return p;

        List<Svg.Series> loss = new ArrayList<>();
        String total = "total";
        for (String part : parts()) {
            if (samePart(part)) total = "total = " + part; // alpha = 1: the KD part is the total; one line, not two on top of each other
            else loss.add(series(part, part));
        }
        loss.add(0, series(total, "loss"));
        loss.removeIf(s -> s.x().length == 0);
        p.plot("Distillation loss", Svg.lines("training loss per step", "optimizer step", "loss (nats/token)", loss, false),
                "The objective of each optimizer step on its training batch (mean over the batch's predicted positions), and its parts: kd is the KL divergence "
                        + "between the teacher's and the student's next-token distributions (times T²), ce the cross-entropy against the data's next tokens (logged even when "
                        + "its weight is 0), hidden the hidden-state loss; total = alpha·kd + (1-alpha)·ce + weight·hidden.");

        List<double[]> ev = new ArrayList<>();
        if (result.get("eval_ppl_before") instanceof Number b) ev.add(new double[]{0, b.doubleValue()});
        for (Map<String, Object> s : steps) if (s.get("eval_ppl") instanceof Number e) ev.add(new double[]{num(s.get("step")), e.doubleValue()});
        if (result.get("eval_ppl") instanceof Number a) ev.add(new double[]{num(steps.get(steps.size() - 1).get("step")), a.doubleValue()});
        if (!ev.isEmpty() && eval != null) {
            double[] x = new double[ev.size()], y = new double[ev.size()];
            for (int i = 0; i < x.length; i++) { x[i] = ev.get(i)[0]; y[i] = ev.get(i)[1]; }
            p.plot("Held-out perplexity", Svg.lines("eval perplexity during distillation", "optimizer step", "perplexity", List.of(new Svg.Series("student", x, y)), true),
                    "Perplexity of the student (exp of the mean next-token NLL) on " + eval + ", before training (step 0), every --eval-every steps and after the last step.");
        }
        Svg.Series lr = series("lr", "lr");
        double top = 0;
        for (double v : lr.y()) top = Math.max(top, v);
        int e = top > 0 ? (int) Math.floor(Math.log10(top)) : 0; // tick labels as 1.00, 2.00 x 1e-3, not 1.00e-03 over the axis title
        double[] scaled = lr.y().clone();
        for (int i = 0; i < scaled.length; i++) scaled[i] /= Math.pow(10, e);
        p.plot("Learning rate", Svg.lines("learning rate per step", "optimizer step", "learning rate (× 1e" + e + ")", List.of(new Svg.Series("lr", lr.x(), scaled)), false),
                "The AdamW learning rate each step used (warm-up, then the schedule).");

        List<List<Object>> rows = new ArrayList<>();
        for (Map<String, Object> s : steps) {
            List<Object> r = new ArrayList<>(java.util.Arrays.asList(s.get("step"), s.get("loss"), s.get("lr"), s.get("grad_norm"), s.get("tokens")));
            for (String part : parts()) r.add(s.getOrDefault(part, ""));
            r.add(s.getOrDefault("eval_ppl", ""));
            rows.add(r);
        }
        List<String> cols = new ArrayList<>(List.of("step", "loss", "lr", "grad_norm", "tokens"));
        cols.addAll(parts());
        cols.add("eval_ppl");
        p.table(new Table("Steps", cols, rows), "Every optimizer step: loss, learning rate, gradient norm before clipping, tokens seen, loss parts, eval perplexity where measured");
        return p;
    }
}
