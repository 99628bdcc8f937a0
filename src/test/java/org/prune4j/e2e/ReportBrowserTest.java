package org.prune4j.e2e;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.prune4j.io.SharedData;
import org.prune4j.io.json.Json;

/**
 * report.html in a real browser: headless Chromium renders the reports of {@code prune}, {@code sweep}, {@code scores},
 * {@code distill} and {@code compress --report} on stories260K; the page logs no console error, every plot's SVG holds data marks, the text names every
 * run, and a screenshot is taken (target/e2e/report-*.png). Skipped with a message where no Chromium is installed
 * (.ci/run installs Debian's {@code chromium}). The sweep is also interrupted-and-resumed: a rerun keeps its cells.
 */
class ReportBrowserTest {
    static Path shared;
    static String chromium;

    @TempDir Path tmp;

    @BeforeAll
    static void setUp() {
        Assumptions.assumeTrue(SharedData.root().isPresent(), SharedData.MISSING);
        shared = SharedData.root().get();
        chromium = findChromium().orElse(null);
        Assumptions.assumeTrue(chromium != null, "no chromium on PATH (apt-get install chromium); skipping the browser test of report.html");
    }

    @Test
    void pruneReportRendersWithItsPlots() throws Exception {
        Path out = tmp.resolve("pruned"), rep = tmp.resolve("report");
        Cli p = Cli.run("prune", "--model", shared.resolve("models/stories260K").toString(), "--method", "magnitude", "--sparsity", "0.5",
                "--out", out.toString(), "--report", rep.toString());
        assertEquals(0, p.code(), p.err());
        for (String f : List.of("report.html", "report.json", "linear-layers.csv")) assertTrue(Files.isRegularFile(rep.resolve(f)), f);
        assertEquals(1 + 35, Files.readAllLines(rep.resolve("linear-layers.csv")).size(), "header + 7 linears x 5 layers");
        Page page = render(rep.resolve("report.html"), "prune");
        assertEquals(2, page.plots, "sparsity bars and the layer x projection heatmap");
        @SuppressWarnings("unchecked") Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(rep.resolve("report.json")));
        assertEquals("uniform 50%", json.get("target"));
        assertTrue(page.text.contains("magnitude uniform 50%"), "the page names the run");
    }

    @Test
    void sweepReportRendersAndResumes() throws Exception {
        Path rep = tmp.resolve("sweep");
        String[] args = {"sweep", "--model", shared.resolve("models/stories260K").toString(), "--methods", "magnitude,wanda", "--sparsities", "0.3,0.6",
                "--nm", "2:4", "--calib", shared.resolve("data/text/wikitext2-valid.txt").toString(), "--eval", shared.resolve("data/text/wikitext2-test.txt").toString(),
                "--calib-samples", "4", "--eval-windows", "8", "--per-layer", "0.6", "--report", rep.toString(), "--json"};
        Cli first = Cli.run(args);
        assertEquals(0, first.code(), first.err());
        // a rerun after losing one cell (as if killed while computing it) recomputes only that cell, with the same result
        Path cell = rep.resolve("cells/wanda-60pct.json");
        String before = Files.readString(cell);
        Files.delete(cell);
        Cli second = Cli.run(args);
        assertEquals(0, second.code(), second.err());
        // 6 whole-model cells kept (of 7) and 2 methods x 5 layers of per-layer cells at 60%
        assertEquals(6 + 10, count(second.err(), "kept from an earlier run"), second.err());
        assertEquals(withoutTime(before), withoutTime(Files.readString(cell)), "the recomputed cell equals the first run's (time aside)");
        @SuppressWarnings("unchecked") List<Map<String, Object>> runs = (List<Map<String, Object>>) ((Map<String, Object>) Json.parse(second.lastLine())).get("runs");
        assertEquals(7, runs.size());

        Page page = render(rep.resolve("report.html"), "sweep");
        assertEquals(3, page.plots, "perplexity vs sparsity lines, the per-run bars and the per-layer sensitivity at 60%");
        for (Map<String, Object> r : runs) {
            String name = r.get("method").equals("dense") ? "dense" : r.get("method") + " " + r.get("target");
            assertTrue(page.text.contains(name), "the page names run " + name);
        }
    }

    @Test
    void scoresReportHasHeatmapsCorrelationsAndLayerScores() throws Exception {
        Path rep = tmp.resolve("scores-report");
        List<String> methods = List.of("minitron", "taylor", "magnitude", "random");
        Cli c = Cli.run("scores", "--model", shared.resolve("models/stories260K").toString(), "--calib", shared.resolve("data/text/tinystories-train-2mib.txt").toString(),
                "--doc-separator", "<|endoftext|>", "--calib-samples", "8", "--seq-len", "64", "--batch", "4", "--methods", String.join(",", methods),
                "--kinds", "head,neuron,layer", "--bootstrap", "2", "--out", tmp.resolve("scores").toString(), "--report", rep.toString(), "--json");
        assertEquals(0, c.code(), c.err());
        for (String f : List.of("report.html", "report.json", "rank-correlations.csv", "top-k-stability.csv")) assertTrue(Files.isRegularFile(rep.resolve(f)), f);
        Page page = render(rep.resolve("report.html"), "scores");
        // a head heatmap per criterion, a correlation matrix for head, neuron and layer units, the layer-score lines
        assertEquals(methods.size() + 3 + 1, page.plots, page.text);
        for (String m : methods) assertTrue(page.text.contains("Head importance: " + m), "the page names criterion " + m);
    }

    @Test
    void distillReportHasLossAndPerplexityCurves() throws Exception {
        Path student = tmp.resolve("student"), rep = tmp.resolve("distill-report");
        String stories = shared.resolve("models/stories260K").toString(), text = shared.resolve("data/text/tinystories-valid-201.txt").toString();
        Cli p = Cli.run("prune", "--model", stories, "--method", "magnitude", "--target", "num_attention_heads=4", "--out", student.toString());
        assertEquals(0, p.code(), p.err());
        Cli d = Cli.run("distill", "--teacher", stories, "--student", student.toString(), "--data", text, "--doc-separator", "<|endoftext|>", "--steps", "6",
                "--batch", "2", "--seq-len", "64", "--lr", "1e-3", "--eval", text, "--eval-windows", "4", "--eval-every", "2", "--log", tmp.resolve("steps.jsonl").toString(),
                "--out", tmp.resolve("distilled").toString(), "--report", rep.toString(), "--json");
        assertEquals(0, d.code(), d.err());
        assertEquals(1 + 6, Files.readAllLines(rep.resolve("steps.csv")).size(), "header + one row per step");
        Page page = render(rep.resolve("report.html"), "distill");
        assertEquals(3, page.plots, "loss, eval perplexity, learning rate");
        assertTrue(page.text.contains(student.toString()) && page.text.contains(stories), "the page names the student and the teacher");
    }

    @Test
    @SuppressWarnings("unchecked")
    void compressReportHasTheParetoFront() throws Exception {
        Path rep = tmp.resolve("compress-report");
        String valid = shared.resolve("data/text/tinystories-valid-201.txt").toString();
        Cli c = Cli.run("compress", "--model", shared.resolve("models/stories260K").toString(), "--params", "0.6", "--calib", valid, "--data", valid, "--eval", valid,
                "--doc-separator", "<|endoftext|>", "--seq-len", "32", "--batch", "2", "--calib-samples", "4", "--eval-windows", "4", "--candidates", "3",
                "--search-steps", "2", "--final-steps", "3", "--lr", "1e-3", "--out", tmp.resolve("compressed").toString(), "--work", tmp.resolve("work").toString(),
                "--report", rep.toString(), "--json");
        assertEquals(0, c.code(), c.err());
        for (String f : List.of("report.html", "report.json", "searched-candidates.csv", "candidates.json", "compress.json")) assertTrue(Files.isRegularFile(rep.resolve(f)), f);
        Page page = render(rep.resolve("report.html"), "compress");
        assertEquals(2, page.plots, "parameters vs perplexity, loss curves");
        List<Object> cands = (List<Object>) Json.parse(Files.readString(rep.resolve("candidates.json")));
        int searched = 0;
        for (Object o : cands) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (!Boolean.TRUE.equals(m.get("kept"))) continue;
            searched++;
            assertTrue(page.text.contains("candidate " + m.get("index") + " ("), "the page names candidate " + m.get("index"));
        }
        assertTrue(searched >= 2, "at least two candidates searched: " + searched);
    }

    record Page(int plots, String text) {}

    /** Renders {@code html} headless: DOM, console messages and a screenshot; checks every plot has marks. */
    private Page render(Path html, String name) throws Exception {
        String url = html.toUri().toString();
        Run dom = run(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom", url));
        assertEquals(0, dom.code, dom.err);
        for (String line : dom.err.split("\n")) {
            assertFalse(line.contains("CONSOLE") && (line.contains("ERROR") || line.contains("error")), "console error: " + line);
            assertFalse(line.contains("Failed to load resource"), line);
        }
        Matcher m = Pattern.compile("<svg class=\"plot\".*?</svg>", Pattern.DOTALL).matcher(dom.out);
        int plots = 0;
        while (m.find()) {
            plots++;
            assertTrue(count(m.group(), "class=\"mark\"") > 0, "plot " + plots + " of " + html + " has no data marks");
        }
        Path shot = Path.of(System.getProperty("prune4j.repo", "../..")).resolve("target/e2e/report-" + name + ".png");
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        Run s = run(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1100,2400", "--screenshot=" + shot.toAbsolutePath(), url));
        assertEquals(0, s.code, s.err);
        assertTrue(Files.size(shot) > 10_000, "screenshot " + shot + " is " + Files.size(shot) + " bytes");
        System.err.println("report screenshot: " + shot.toAbsolutePath());
        String text = dom.out.replaceAll("<[^>]*>", " ").replaceAll("\\s+", " ");
        return new Page(plots, text);
    }

    record Run(int code, String out, String err) {}

    private static Run run(List<String> cmd) throws IOException, InterruptedException {
        Path err = Files.createTempFile("chromium", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); fail(cmd.get(0) + " ran past 120 s"); }
            return new Run(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    private static Optional<String> findChromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            for (String n : List.of("chromium", "chromium-browser")) if (Files.isExecutable(Path.of(dir, n))) return Optional.of(Path.of(dir, n).toString());
        }
        return Optional.empty();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutTime(String cellJson) throws Exception {
        Map<String, Object> m = new java.util.LinkedHashMap<>((Map<String, Object>) Json.parse(cellJson));
        m.remove("seconds");
        return m;
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + what.length())) n++;
        return n;
    }
}
