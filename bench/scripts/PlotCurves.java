import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.prune4j.cli.report.Svg;
import org.prune4j.io.json.Json;

/**
 * Draws eval-perplexity curves of distill runs into an SVG with the report module's plotter (run as a single-file
 * program: java -cp prune4j.jar bench/scripts/PlotCurves.java OUT.svg TITLE NAME=RUN.json:RUN.jsonl... [NAME=PPL]).
 * A run's curve is eval_ppl_before at step 0, every eval_ppl of its log, and eval_ppl at the end; NAME=PPL is a
 * flat reference line (the teacher).
 */
public class PlotCurves {
    public static void main(String[] a) throws Exception {
        List<Svg.Series> series = new ArrayList<>();
        List<String[]> flat = new ArrayList<>();
        double maxStep = 0;
        for (int i = 2; i < a.length; i++) {
            String name = a[i].substring(0, a[i].indexOf('=')), v = a[i].substring(a[i].indexOf('=') + 1);
            if (!v.contains(":")) { flat.add(new String[] {name, v}); continue; }
            String[] f = v.split(":");
            List<String> summary = Files.readAllLines(Path.of(f[0]));
            Map<String, Object> last = Json.parseObject(summary.getLast(), false);
            TreeMap<Double, Double> c = new TreeMap<>();
            c.put(0.0, ((Number) last.get("eval_ppl_before")).doubleValue());
            for (String line : Files.readAllLines(Path.of(f[1]))) {
                Map<String, Object> j = Json.parseObject(line, false);
                if (j.containsKey("eval_ppl")) c.put(((Number) j.get("step")).doubleValue(), ((Number) j.get("eval_ppl")).doubleValue());
            }
            c.put(((Number) last.get("steps")).doubleValue(), ((Number) last.get("eval_ppl")).doubleValue());
            maxStep = Math.max(maxStep, c.lastKey());
            series.add(new Svg.Series(name, c.keySet().stream().mapToDouble(Double::doubleValue).toArray(), c.values().stream().mapToDouble(Double::doubleValue).toArray()));
        }
        for (String[] f : flat) series.add(new Svg.Series(f[0], new double[] {0, maxStep}, new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[1])}));
        Path out = Path.of(a[0]);
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".curve", ".svg");
        Files.writeString(tmp, Svg.lines(a[1], "step", "eval perplexity (log)", series, true));
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
