package org.prune4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.cli.report.SweepReport;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.json.Json;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.io.tokenizer.Tokenizer;
import org.prune4j.io.tokenizer.Tokenizers;
import org.prune4j.pruning.Comparison;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.Sparsity;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.calibration.CalibrationData;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.VectorKernels;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code prune4j sweep}: every method × target on one model, each pruned from the dense weights and evaluated on the
 * same held-out windows, with report.html. Each finished cell is kept in {@code DIR/cells/} (atomically), so a rerun
 * with the same options continues where the last one stopped; cells from other options are refused, not mixed.
 *
 * <p>Sharing: the calibration and evaluation texts are tokenized and cut into windows once for all cells, and the
 * model is mapped once. The calibration statistics themselves (‖X_j‖², XᵀX) are not shared between targets of one
 * method: the sequential protocol feeds layer l the outputs of layers already pruned at that cell's target, so they
 * differ from the second layer on; magnitude needs none.
 *
 * <p>{@code --per-layer}: per-layer sensitivity. For each method × target (all, or those listed) and each decoder
 * layer l, a cell prunes only layer l's seven linear weights (from the dense weights, calibrated on the dense outputs
 * of layers 0..l-1) and measures perplexity on the same windows; the dense perplexity is the baseline.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Prune with every method at every target, evaluate each, write report.html; resumable.")
public final class SweepCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face model folder.")
    Path model;

    @Option(names = "--methods", defaultValue = "magnitude,wanda,sparsegpt", split = ",", paramLabel = "M,M", description = "Methods (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--sparsities", split = ",", paramLabel = "S,S", description = "Unstructured targets, e.g. 0.3,0.5,0.6,0.7.")
    List<Double> sparsities = new ArrayList<>();

    @Option(names = "--nm", split = ",", paramLabel = "N:M,N:M", description = "N:M targets, e.g. 2:4,4:8.")
    List<String> nm = new ArrayList<>();

    @Option(names = "--calib", required = true, paramLabel = "FILE", description = "Calibration text or token file.")
    Path calib;

    @Option(names = "--eval", required = true, paramLabel = "FILE", description = "Evaluation text or token file.")
    Path eval;

    @Option(names = "--doc-separator", description = "Split --calib/--eval text into documents at this string (each encoded with BOS).")
    String docSeparator;

    @Option(names = "--calib-samples", defaultValue = "32", description = "Calibration windows (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seq-len", defaultValue = "128", description = "Tokens per window, calibration and evaluation (default: ${DEFAULT-VALUE}).")
    int seqLen;

    @Option(names = "--eval-windows", defaultValue = "64", description = "Evaluation windows, the first ones of the text (default: ${DEFAULT-VALUE}).")
    int evalWindows;

    @Option(names = "--calib-sampling", defaultValue = "first", description = "first or random calibration windows (default: ${DEFAULT-VALUE}).")
    String sampling;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of random calibration windows (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--per-layer", arity = "0..1", fallbackValue = "all", paramLabel = "T,T",
            description = "Also prune each decoder layer alone and evaluate (per-layer sensitivity): every method, at every target or at those listed (e.g. 0.5,2:4).")
    String perLayer;

    @Option(names = "--report", required = true, paramLabel = "DIR", description = "Folder for report.html, report.json, runs.csv (and per-layer-sensitivity.csv) and the finished cells.")
    Path dir;

    @Mixin DeviceOptions device;
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Comparison.Trial> trials = trials(), perLayerTrials = perLayerTrials(trials);
        CalibrationData.Sampling how;
        try {
            how = CalibrationData.Sampling.parse(sampling);
        } catch (PruningException e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        if (seqLen < 2 || samples < 1 || evalWindows < 1) throw new UsageException(spec.commandLine(), "--seq-len must be >= 2, --calib-samples and --eval-windows >= 1");
        Kernels k = device.kernels();
        int threads = k instanceof VectorKernels v ? v.threads() : Runtime.getRuntime().availableProcessors();
        ModelConfig cfg = ModelConfig.read(model);
        Path cells = dir.resolve("cells");
        Files.createDirectories(cells);
        String key = Json.write(List.of(model.toAbsolutePath().normalize().toString(), calib.toAbsolutePath().normalize().toString(),
                eval.toAbsolutePath().normalize().toString(), String.valueOf(docSeparator), samples, seqLen, evalWindows, how.name(), seed));
        Path keyFile = cells.resolve("options.json");
        if (Files.exists(keyFile) && !Files.readString(keyFile).strip().equals(key))
            throw new IOException(keyFile + ": this folder holds cells of a sweep with other options (" + Files.readString(keyFile).strip() + "); choose another --report folder");
        AtomicFiles.writeString(keyFile, key + "\n");

        long t0 = System.nanoTime();
        List<Comparison.Row> rows = new ArrayList<>();
        List<Comparison.LayerRow> layerRows = new ArrayList<>();
        List<Cell> todo = cells(trials, perLayerTrials, cfg.numLayers());
        String calibLine, evalLine;
        int kept;
        try (SafeTensors st = SafeTensors.open(model)) {
            Tokenizer tok = CalibrationData.isTokenFile(calib) && CalibrationData.isTokenFile(eval) ? null : Tokenizers.load(model);
            int[][] c = windows(calib, tok, cfg.vocabSize(), samples, how);
            int[][] e = windows(eval, tok, cfg.vocabSize(), evalWindows, CalibrationData.Sampling.FIRST);
            calibLine = String.format(Locale.ROOT, "%d windows x %d tokens of %s (%s)", c.length, seqLen, calib.getFileName(), how.name().toLowerCase(Locale.ROOT));
            evalLine = String.format(Locale.ROOT, "the first %d windows x %d tokens of %s", e.length, seqLen, eval.getFileName());
            TensorSource src = TensorSource.of(st);
            int total = todo.size(), done = 0;
            kept = 0;
            int[] computed = new int[2];          // [whole-model cells, per-layer cells] computed in this invocation
            double[] computedSeconds = new double[2];
            for (Cell cell : todo) {
                Path file = cells.resolve(cell.name() + ".json");
                boolean resumed = Files.exists(file);
                long c0 = System.nanoTime();
                String name;
                double ppl;
                Map<String, Object> json;
                if (resumed) {
                    if (!(Json.parse(Files.readString(file)) instanceof Map<?, ?> m))
                        throw new IOException(file + ": not a sweep cell (a JSON object); delete it to have it recomputed");
                    @SuppressWarnings("unchecked") Map<String, Object> obj = (Map<String, Object>) m;
                    json = obj;
                    kept++;
                } else {
                    json = cell.layer() >= 0 ? SweepReport.rowJson(Comparison.layerTrial(cfg, src, c, e, cell.trial(), cell.layer(), k, threads, 8))
                            : SweepReport.rowJson(cell.trial() == null ? Comparison.dense(cfg, src, e, k, 8) : Comparison.trial(cfg, src, c, e, cell.trial(), k, threads, 8));
                    AtomicFiles.writeString(file, Json.write(json) + "\n");
                    int kind = cell.layer() >= 0 ? 1 : 0;
                    computed[kind]++;
                    computedSeconds[kind] += (System.nanoTime() - c0) / 1e9;
                }
                try {
                    if (cell.layer() >= 0) {
                        Comparison.LayerRow r = SweepReport.layerRowOf(json);
                        layerRows.add(r);
                        name = SweepReport.runName(r);
                        ppl = r.ppl();
                    } else {
                        Comparison.Row r = SweepReport.rowOf(json);
                        rows.add(r);
                        name = SweepReport.runName(r);
                        ppl = r.ppl();
                    }
                } catch (RuntimeException ex) {
                    throw new IOException(file + ": not a sweep cell (" + ex + "); delete it to have it recomputed");
                }
                done++;
                int left = total - done;
                common.log().printf(Locale.ROOT, "sweep [%s] %d/%d %s: ppl %.3f%s; ETA %s%n", bar(done, total), done, total, name, ppl,
                        resumed ? " (kept from an earlier run)" : String.format(Locale.ROOT, " in %.1f s", (System.nanoTime() - c0) / 1e9),
                        left == 0 ? "done" : eta(todo.subList(done, total).stream().filter(x -> !Files.exists(cells.resolve(x.name() + ".json"))).toList(), computed, computedSeconds));
            }
        }
        SweepReport rep = new SweepReport(model.toString(), calibLine, evalLine, rows, layerRows, (System.nanoTime() - t0) / 1e9, kept);
        rep.page().write(dir, rep.json());
        common.log().println("sweep: report in " + dir.resolve("report.html"));
        common.emit(rep.text(), rep.json());
        return 0;
    }

    private List<Comparison.Trial> trials() {
        if (sparsities.isEmpty() && nm.isEmpty()) throw new UsageException(spec.commandLine(), "give --sparsities and/or --nm");
        List<Sparsity> targets = new ArrayList<>();
        try {
            for (double s : sparsities) targets.add(new Sparsity.Unstructured(s));
            for (String s : nm) targets.add(Sparsity.parseNM(s));
        } catch (PruningException | IllegalArgumentException e) {
            throw new UsageException(spec.commandLine(), e.getMessage());
        }
        List<Comparison.Trial> t = new ArrayList<>();
        for (String m : methods) {
            if (!Methods.NAMES.contains(m)) throw new UsageException(spec.commandLine(), "--methods: '" + m + "' is not one of " + Methods.NAMES);
            for (Sparsity s : targets) t.add(new Comparison.Trial(m, s));
        }
        return t;
    }

    /** One cell of the sweep: the dense model (trial null), a whole-model trial (layer -1), or a trial on one layer. */
    record Cell(Comparison.Trial trial, int layer) {
        /** Its file name in DIR/cells without ".json": dense, wanda-50pct, wanda-2of4-layer3. */
        String name() {
            if (trial == null) return "dense";
            String n = trial.method() + "-" + trial.target().label().replace(":", "of").replace("%", "pct");
            return layer < 0 ? n : n + "-layer" + layer;
        }
    }

    /** Dense, every trial, then every per-layer trial on every layer (in layer order). */
    static List<Cell> cells(List<Comparison.Trial> trials, List<Comparison.Trial> perLayer, int numLayers) {
        List<Cell> cells = new ArrayList<>();
        cells.add(new Cell(null, -1));
        for (Comparison.Trial t : trials) cells.add(new Cell(t, -1));
        for (Comparison.Trial t : perLayer) for (int l = 0; l < numLayers; l++) cells.add(new Cell(t, l));
        return cells;
    }

    /** The trials --per-layer runs: none without it; every trial with no value (or "all"); else those of the listed targets. */
    private List<Comparison.Trial> perLayerTrials(List<Comparison.Trial> trials) {
        if (perLayer == null) return List.of();
        if (perLayer.equals("all")) return trials;
        List<String> labels = new ArrayList<>();
        for (Comparison.Trial t : trials) if (!labels.contains(t.target().label())) labels.add(t.target().label());
        List<String> chosen = new ArrayList<>();
        for (String v : perLayer.split(",")) {
            String label;
            try {
                label = (v.contains(":") ? Sparsity.parseNM(v.strip()) : new Sparsity.Unstructured(Double.parseDouble(v.strip()))).label();
            } catch (PruningException | IllegalArgumentException ex) {
                throw new UsageException(spec.commandLine(), "--per-layer: '" + v + "' is not a target (a sparsity such as 0.5, or N:M such as 2:4): " + ex.getMessage());
            }
            if (!labels.contains(label))
                throw new UsageException(spec.commandLine(), "--per-layer: " + label + " is not one of the sweep's targets (" + String.join(", ", labels) + "); add it to --sparsities or --nm");
            chosen.add(label);
        }
        List<Comparison.Trial> t = new ArrayList<>();
        for (Comparison.Trial x : trials) if (chosen.contains(x.target().label())) t.add(x);
        return t;
    }

    /**
     * The time the cells {@code left} (those not on disk yet) should take: each kind (whole model, one layer) at the mean of that kind computed
     * so far, a per-layer cell at the whole-model mean until one is measured; "?" before any.
     */
    static String eta(List<Cell> left, int[] computed, double[] seconds) {
        if (computed[0] + computed[1] == 0) return "?";
        double whole = computed[0] > 0 ? seconds[0] / computed[0] : seconds[1] / computed[1];
        double layer = computed[1] > 0 ? seconds[1] / computed[1] : whole;
        double s = 0;
        for (Cell c : left) s += c.layer() >= 0 ? layer : whole;
        return String.format(Locale.ROOT, "%.0f s", s);
    }

    private int[][] windows(Path file, Tokenizer tok, int vocab, int n, CalibrationData.Sampling how) throws IOException {
        int[] ids = CalibrationData.tokens(file, CalibrationData.isTokenFile(file) ? null : tok, docSeparator, vocab);
        return CalibrationData.windows(ids, n, seqLen, how, seed, file.toString());
    }

    private static String bar(int done, int total) {
        int w = 20, f = (int) Math.round(w * (double) done / total);
        return "#".repeat(f) + ".".repeat(w - f);
    }
}
