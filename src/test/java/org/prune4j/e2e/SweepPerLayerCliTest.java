package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.SequentialPruner;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.SparsityPlan;
import org.prune4j.pruning.TensorSink;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.VectorKernels;
import org.prune4j.transformer.Linear;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Perplexity;

/**
 * {@code sweep --per-layer} on stories260K (5 decoder layers) with tiny calibration and evaluation: one cell per
 * method × target × layer; each cell's perplexity is that of a model whose other layers are the dense tensors, bit
 * for bit (rebuilt here through the library and checked tensor by tensor); a rerun keeps every cell, a lost cell is
 * recomputed alone with the same result, other options are refused; the report has the table (CSV, JSON) and one
 * plot per target whose SVG holds a mark per layer for every method and for the dense baseline.
 */
class SweepPerLayerCliTest {
    @TempDir Path tmp;
    Path stories, calib, eval;

    static final List<String> METHODS = List.of("magnitude", "wanda");
    static final List<String> TARGETS = List.of("50%", "2:4");
    static final int LAYERS = 5, SEQ = 32, WINDOWS = 2;

    @BeforeEach
    void shared() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        Path shared = SharedData.root().get();
        stories = shared.resolve("models/stories260K");
        calib = shared.resolve("data/text/wikitext2-valid.txt");
        eval = shared.resolve("data/text/wikitext2-test.txt");
    }

    String[] args(Path rep, String... extra) {
        List<String> a = new ArrayList<>(List.of("sweep", "--model", stories.toString(), "--methods", String.join(",", METHODS), "--sparsities", "0.5", "--nm", "2:4",
                "--calib", calib.toString(), "--eval", eval.toString(), "--calib-samples", "2", "--seq-len", String.valueOf(SEQ), "--eval-windows", String.valueOf(WINDOWS),
                "--threads", "1", "--report", rep.toString(), "--json"));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    @SuppressWarnings("unchecked")
    void onePrunedLayerPerCellResumableWithItsPlot() throws Exception {
        Path rep = tmp.resolve("sweep");
        Cli first = Cli.run(args(rep, "--per-layer"));
        assertEquals(0, first.code(), first.err());
        int cells = 1 + METHODS.size() * TARGETS.size() * (1 + LAYERS);
        assertTrue(first.err().contains("sweep [") && first.err().contains("ETA"), "progress with an ETA on stderr: " + first.err());

        // one cell per (method, target, layer), in the cells folder and in report.json
        Map<String, Object> json = (Map<String, Object>) Json.parse(first.lastLine());
        List<Map<String, Object>> perLayer = (List<Map<String, Object>>) json.get("per_layer");
        Set<String> seen = new HashSet<>();
        for (Map<String, Object> r : perLayer) assertTrue(seen.add(r.get("method") + " " + r.get("target") + " " + r.get("layer")), "once each: " + r);
        Set<String> want = new HashSet<>();
        for (String m : METHODS) for (String t : TARGETS) for (int l = 0; l < LAYERS; l++) want.add(m + " " + t + " " + l);
        assertEquals(want, seen);
        try (var files = Files.list(rep.resolve("cells"))) {
            assertEquals(METHODS.size() * TARGETS.size() * LAYERS, files.filter(f -> f.getFileName().toString().matches(".*-layer\\d\\.json")).count());
        }
        assertEquals(json, Json.parse(Files.readString(rep.resolve("report.json"))), "--json and report.json agree");
        assertEquals(1 + perLayer.size(), Files.readAllLines(rep.resolve("per-layer-sensitivity.csv")).size(), "header + one row per cell");
        for (Map<String, Object> r : perLayer) assertEquals(0.5, ((Number) r.get("sparsity")).doubleValue(), 1e-12, "the pruned layer is at its target: " + r);

        // the property behind each cell: only layer l changed, the rest is the dense checkpoint, and the cell's
        // perplexity is that model's (wanda 50%, every layer)
        double dense = ((Number) ((List<Map<String, Object>>) json.get("runs")).get(0).get("ppl")).doubleValue();
        checkOnlyLayerChanges(perLayer, "wanda", new Sparsity.Unstructured(0.5));

        // the plot of each target: a line per method and a flat dense line, each with a mark per layer
        String html = Files.readString(rep.resolve("report.html"));
        for (String t : TARGETS) {
            String svg = plot(html, "perplexity with one layer pruned to " + t);
            assertEquals(METHODS.size() + 1, count(svg, "<polyline class=\"mark\""), t + ": one line per method and the dense one");
            assertEquals((METHODS.size() + 1) * LAYERS, count(svg, "<circle class=\"mark\""), t + ": a point per layer on each line");
            for (String m : METHODS) for (int l = 0; l < LAYERS; l++) assertTrue(svg.contains("<title>" + m + " " + t + ": " + l + ", "), m + " " + t + " layer " + l);
            assertTrue(svg.contains("decoder layer pruned alone (index)") && svg.contains("perplexity (log scale)"), "axis labels with units");
            assertTrue(svg.contains(">dense</text>"), "the dense baseline is in the legend");
        }
        assertTrue(html.contains(String.format(java.util.Locale.ROOT, "the flat line is the dense model (%.3f)", dense)), "the caption names the baseline");

        // a rerun keeps every cell; a lost per-layer cell is computed again alone, with the same perplexity
        Path lost = rep.resolve("cells/wanda-2of4-layer3.json");
        Map<String, Object> before = (Map<String, Object>) Json.parse(Files.readString(lost));
        Cli again = Cli.run(args(rep, "--per-layer"));
        assertEquals(0, again.code(), again.err());
        assertEquals(cells, count(again.err(), "kept from an earlier run"), again.err());
        Files.delete(lost);
        Cli third = Cli.run(args(rep, "--per-layer"));
        assertEquals(0, third.code(), third.err());
        assertEquals(cells - 1, count(third.err(), "kept from an earlier run"), third.err());
        Map<String, Object> after = (Map<String, Object>) Json.parse(Files.readString(lost));
        assertEquals(before.get("ppl"), after.get("ppl"), "the recomputed cell has the first run's perplexity");

        // only the 2:4 targets: the whole-model cells and the 2:4 per-layer cells, all kept; the report holds those
        Cli subset = Cli.run(args(rep, "--per-layer", "2:4"));
        assertEquals(0, subset.code(), subset.err());
        assertEquals(1 + METHODS.size() * TARGETS.size() + METHODS.size() * LAYERS, count(subset.err(), "kept from an earlier run"), subset.err());
        List<Map<String, Object>> only24 = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(subset.lastLine())).get("per_layer");
        assertEquals(METHODS.size() * LAYERS, only24.size());
        for (Map<String, Object> r : only24) assertEquals("2:4", r.get("target"));

        // the cells of other options are refused, not mixed; a target outside the sweep is a usage error
        Cli other = Cli.run(withEvalWindows(args(rep, "--per-layer"), "3"));
        assertNotEquals(0, other.code());
        assertTrue(other.err().contains("holds cells of a sweep with other options"), other.err());
        Cli bad = Cli.run(args(tmp.resolve("bad"), "--per-layer", "0.7"));
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("--per-layer: 70% is not one of the sweep's targets"), bad.err());
    }

    /** For each layer l: prunes only layer l through the library, checks every other tensor is dense, and the cell's ppl. */
    void checkOnlyLayerChanges(List<Map<String, Object>> perLayer, String method, Sparsity target) throws Exception {
        VectorKernels k = new VectorKernels(1);
        ModelConfig cfg = ModelConfig.read(stories);
        var tok = Tokenizers.load(stories);
        int[][] c = CalibrationData.windows(CalibrationData.tokens(calib, tok, null, cfg.vocabSize()), 2, SEQ, CalibrationData.Sampling.FIRST, 1, calib.toString());
        int[][] e = CalibrationData.windows(CalibrationData.tokens(eval, tok, null, cfg.vocabSize()), WINDOWS, SEQ, CalibrationData.Sampling.FIRST, 1, eval.toString());
        try (SafeTensors st = SafeTensors.open(stories)) {
            TensorSource src = TensorSource.of(st);
            for (int l = 0; l < LAYERS; l++) {
                TensorSink.InMemory sink = new TensorSink.InMemory();
                SequentialPruner.run(cfg, src, c, new SequentialPruner.Options(Methods.create(method, false, k, 1), SparsityPlan.onlyLayers(target, Set.of(l)), k, 0, null), sink);
                Map<String, Tensor> got = sink.tensors();
                assertEquals(new HashSet<>(src.names()), got.keySet());
                Set<String> layerL = new HashSet<>();
                for (Linear lin : Linear.values()) layerL.add(lin.weightName(l));
                for (String n : src.names()) {
                    float[] d = src.get(n).toFloatArray(), p = got.get(n).toFloatArray();
                    if (layerL.contains(n)) assertFalse(java.util.Arrays.equals(d, p), n + " is pruned");
                    else assertArrayEquals(d, p, "pruning layer " + l + " alone changed " + n);
                }
                double ppl = Perplexity.evaluate(LlamaModel.fromTensors(cfg, got, k), e, 8, null).ppl();
                int layer = l;
                Map<String, Object> cell = perLayer.stream().filter(r -> r.get("method").equals(method) && r.get("target").equals(target.label())
                        && ((Number) r.get("layer")).intValue() == layer).findFirst().orElseThrow();
                assertEquals(ppl, ((Number) cell.get("ppl")).doubleValue(), 0.0, method + " " + target.label() + " layer " + l + ": the cell measured this model");
            }
        }
    }

    static String[] withEvalWindows(String[] args, String n) {
        String[] a = args.clone();
        for (int i = 0; i < a.length - 1; i++) if (a[i].equals("--eval-windows")) a[i + 1] = n;
        return a;
    }

    static String plot(String html, String title) {
        Matcher m = Pattern.compile("<svg class=\"plot\".*?</svg>", Pattern.DOTALL).matcher(html);
        while (m.find()) if (m.group().contains("<title>" + title + "</title>")) return m.group();
        return fail("no plot titled '" + title + "' in report.html");
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) n++;
        return n;
    }
}
