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

    @Option(names = "--report", required = true, paramLabel = "DIR", description = "Folder for report.html, report.json, runs.csv and the finished cells.")
    Path dir;

    @Mixin DeviceOptions device;
    @Mixin CommonOptions common;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Comparison.Trial> trials = trials();
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
        String calibLine, evalLine;
        int kept;
        try (SafeTensors st = SafeTensors.open(model)) {
            Tokenizer tok = CalibrationData.isTokenFile(calib) && CalibrationData.isTokenFile(eval) ? null : Tokenizers.load(model);
            int[][] c = windows(calib, tok, cfg.vocabSize(), samples, how);
            int[][] e = windows(eval, tok, cfg.vocabSize(), evalWindows, CalibrationData.Sampling.FIRST);
            calibLine = String.format(Locale.ROOT, "%d windows x %d tokens of %s (%s)", c.length, seqLen, calib.getFileName(), how.name().toLowerCase(Locale.ROOT));
            evalLine = String.format(Locale.ROOT, "the first %d windows x %d tokens of %s", e.length, seqLen, eval.getFileName());
            TensorSource src = TensorSource.of(st);
            int total = trials.size() + 1, done = 0, computed = 0;
            kept = 0;
            double computedSeconds = 0;
            for (int i = 0; i < total; i++) {
                Comparison.Trial t = i == 0 ? null : trials.get(i - 1);
                String name = i == 0 ? "dense" : t.method() + "-" + t.target().label().replace(":", "of").replace("%", "pct");
                Path cell = cells.resolve(name + ".json");
                Comparison.Row row;
                boolean resumed = Files.exists(cell);
                long c0 = System.nanoTime();
                if (resumed) {
                    @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) Json.parse(Files.readString(cell));
                    row = SweepReport.rowOf(m);
                    kept++;
                } else {
                    row = t == null ? Comparison.dense(cfg, src, e, k, 8) : Comparison.trial(cfg, src, c, e, t, k, threads, 8);
                    AtomicFiles.writeString(cell, Json.write(SweepReport.rowJson(row)) + "\n");
                    computed++;
                    computedSeconds += (System.nanoTime() - c0) / 1e9;
                }
                rows.add(row);
                done++;
                int left = total - done;
                String eta = computed == 0 ? "?" : String.format(Locale.ROOT, "%.0f s", computedSeconds / computed * left);
                common.log().printf(Locale.ROOT, "sweep [%s] %d/%d %s: ppl %.3f%s; ETA %s%n", bar(done, total), done, total, SweepReport.runName(row), row.ppl(),
                        resumed ? " (kept from an earlier run)" : String.format(Locale.ROOT, " in %.1f s", (System.nanoTime() - c0) / 1e9), left == 0 ? "done" : eta);
            }
        }
        SweepReport rep = new SweepReport(model.toString(), calibLine, evalLine, rows, (System.nanoTime() - t0) / 1e9, kept);
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

    private int[][] windows(Path file, Tokenizer tok, int vocab, int n, CalibrationData.Sampling how) throws IOException {
        int[] ids = CalibrationData.tokens(file, CalibrationData.isTokenFile(file) ? null : tok, docSeparator, vocab);
        return CalibrationData.windows(ids, n, seqLen, how, seed, file.toString());
    }

    private static String bar(int done, int total) {
        int w = 20, f = (int) Math.round(w * (double) done / total);
        return "#".repeat(f) + ".".repeat(w - f);
    }
}
