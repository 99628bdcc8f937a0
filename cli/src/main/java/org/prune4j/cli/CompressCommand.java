package org.prune4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.api.ProgressListener;
import org.prune4j.api.Prune4jException;
import org.prune4j.api.compress.Compress;
import org.prune4j.api.compress.CompressOptions;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.search.Candidates;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code compress}: Minitron's whole recipe for a parameter budget — score once (minitron), enumerate uniform
 * candidates, rank them by a short distillation, distill the best fully. The recipe is {@link Compress} (api); this
 * class parses the flags, renders its progress on stderr and its result on stdout.
 */
@Command(name = "compress", mixinStandardHelpOptions = true,
        description = "Minitron's recipe: a parameter budget in; score, enumerate candidates, rank them by short distillation, distill the best; writes a model folder.")
public final class CompressCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin CommonOptions common;
    @Mixin DeviceOptions device;

    @Option(names = "--model", required = true, description = "Dense (teacher) model folder.")
    Path model;
    @Option(names = "--params", required = true, description = "Parameter budget: a fraction of the model (0.6) or a count (150M, 2.5K).")
    String params;
    @Option(names = "--calib", required = true, description = "Calibration text (or token file) for the minitron scores.")
    Path calib;
    @Option(names = "--calib-samples", defaultValue = "32", description = "Calibration windows of --seq-len tokens, the first ones (default ${DEFAULT-VALUE}).")
    int calibSamples;
    @Option(names = "--data", required = true, description = "Distillation text (or token file).")
    Path data;
    @Option(names = "--eval", required = true, description = "Evaluation text (or token file): perplexity before and after each distillation.")
    Path eval;
    @Option(names = "--eval-windows", defaultValue = "64", description = "First W windows of --eval (default ${DEFAULT-VALUE}).")
    int evalWindows;
    @Option(names = "--doc-separator", description = "Split text inputs into documents at this string (each encoded with BOS).")
    String docSeparator;
    @Option(names = "--seq-len", defaultValue = "128", description = "Window length in tokens (default ${DEFAULT-VALUE}).")
    int seqLen;
    @Option(names = "--batch", defaultValue = "8", description = "Windows per micro-batch (default ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--out", required = true, description = "Output model folder (must not exist unless --force); appears only when complete.")
    Path out;
    @Option(names = "--force", description = "Replace an existing output folder.")
    boolean force;
    @Option(names = "--work", description = "Work folder (resume): the dense scores, one row per finished candidate, the checkpoint of the run in progress; default OUT.work.")
    Path work;
    @Option(names = "--report", description = "Also write the report (report.html with plots, candidates.csv/json, plan.json, losses.csv, compress.json) to this folder.")
    Path report;

    @Option(names = "--axes", defaultValue = "width,depth", description = "Axes that may shrink: width, depth or width,depth (default ${DEFAULT-VALUE}).")
    String axes;
    @Option(names = "--width-only", description = "Same as --axes width.")
    boolean widthOnly;
    @Option(names = "--depth-only", description = "Same as --axes depth.")
    boolean depthOnly;
    @Option(names = "--candidates", defaultValue = "8", description = "Candidates kept for the search, the largest that fit (default ${DEFAULT-VALUE}).")
    int candidates;
    @Option(names = "--max-width-prune", defaultValue = "0.4", description = "Largest fraction removed from a width axis (default ${DEFAULT-VALUE}).")
    double maxWidth;
    @Option(names = "--max-depth-prune", defaultValue = "0.2", description = "Largest fraction of layers removed (default ${DEFAULT-VALUE}).")
    double maxDepth;
    @Option(names = "--tolerance", defaultValue = "0.03", description = "Candidates within this fraction of the budget (default ${DEFAULT-VALUE}).")
    double tolerance;
    @Option(names = "--round", defaultValue = "0", description = "Grid step of hidden and intermediate sizes (0: the coarsest of 64, 32, 16, 8 giving 3 sizes; default ${DEFAULT-VALUE}).")
    int round;
    @Option(names = "--search-steps", defaultValue = "100", description = "Distillation steps per candidate in the search (default ${DEFAULT-VALUE}).")
    int searchSteps;
    @Option(names = "--final-steps", defaultValue = "1000", description = "Distillation steps of the best candidate (default ${DEFAULT-VALUE}).")
    int finalSteps;
    @Option(names = "--lr", defaultValue = "1e-4", description = "Peak learning rate, cosine to 0 (default ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--seed", defaultValue = "42", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Steps between checkpoints inside a candidate and the final run, so a kill resumes mid-run (0: a tenth of each run; default ${DEFAULT-VALUE}).")
    int checkpointEvery;
    @Option(names = "--baseline", defaultValue = "none", description = "Also train baselines at the same budget with --final-steps: none, or random-units (the best shape, random units removed), random-candidate (a seeded random candidate that fits), or both comma-separated (default ${DEFAULT-VALUE}).")
    String baseline;

    @Override
    public Integer call() throws Exception {
        var cl = spec.commandLine();
        if (widthOnly && depthOnly) throw new UsageException(cl, "--width-only and --depth-only exclude each other");
        CompressOptions o;
        try {
            Candidates.Axes ax = widthOnly ? new Candidates.Axes(true, false) : depthOnly ? new Candidates.Axes(false, true) : Candidates.Axes.parse(axes);
            o = CompressOptions.builder(model, params, calib, data, eval, out).calibSamples(calibSamples).evalWindows(evalWindows).docSeparator(docSeparator)
                    .seqLen(seqLen).batch(batch).force(force).work(work).report(report).axes(ax).candidates(candidates).maxWidth(maxWidth).maxDepth(maxDepth)
                    .tolerance(tolerance).round(round).searchSteps(searchSteps).finalSteps(finalSteps).lr(lr).seed(seed).checkpointEvery(checkpointEvery)
                    .baselines(CompressOptions.Baseline.parse(baseline)).build();
            o.space();
        } catch (StructuredException | Prune4jException.InvalidOptions e) {
            throw new UsageException(cl, e.getMessage());
        }
        PrintStream err = common.log();
        Compress.Result r;
        try {
            r = Compress.run(o, device.kernels(), new ProgressListener() {
                @Override public void message(String line) { err.println("compress: " + line); }
            });
        } catch (Prune4jException.InvalidOptions e) {
            throw new UsageException(cl, e.getMessage());
        }
        if (report != null) org.prune4j.cli.report.CompressReport.write(report); // the page, drawn from the tables the run wrote there
        Map<String, Object> s = r.summary();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT,
                "compressed %s to %,d parameters (%s): teacher ppl %.3f, best after pruning %.3f, after search %.3f, after final %.3f; Spearman(step 0, searched) %.3f",
                model, r.bestCandidate().params(), r.bestCandidate().describe(), r.teacherPpl(), (Double) s.get("best_ppl_pruned"), (Double) s.get("best_ppl_searched"),
                r.finalPpl(), (Double) s.get("spearman_pruned_vs_searched")));
        r.baselines().forEach((name, b) -> text.append(String.format(Locale.ROOT, "; baseline %s (%s/%s/%s/%s) %.3f -> %.3f", name, b.get("hidden_size"), b.get("intermediate_size"),
                b.get("num_attention_heads"), b.get("num_hidden_layers"), ((Number) b.get("ppl_pruned")).doubleValue(), ((Number) b.get("ppl_final")).doubleValue())));
        text.append(String.format(Locale.ROOT, "; %.1f s; wrote %s", r.seconds(), out));
        common.emit(text.toString(), s);
        return 0;
    }
}
