package org.prune4j.api;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.io.safetensors.SafeTensors;
import org.prune4j.pruning.TensorSource;
import org.prune4j.pruning.structured.Fingerprint;
import org.prune4j.pruning.structured.PlanJson;
import org.prune4j.pruning.structured.Planner;
import org.prune4j.pruning.structured.ScoringInput;
import org.prune4j.pruning.structured.UnitKind;
import org.prune4j.pruning.structured.UnitScores;
import org.prune4j.pruning.structured.scop.ScopCriterion;
import org.prune4j.pruning.structured.scop.ScopFdr;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * {@code --method scop --fdr Q --unit U}: scores the units with SCOP, turns the knockoff+ selection into a plan
 * (noise counts per layer on the log), and saves it where the structured driver applies it, so the write path is
 * the same as for {@code --plan}: the plan-out file when given, else a temporary file.
 */
final class ScopFdrPlan {
    private ScopFdrPlan() {}

    static Path plan(StructuredPruneOptions o, ModelConfig cfg, SafeTensors st, Kernels k, Supplier<int[][]> windows,
                     Map<String, String> copts, Planner.Options opts, PrintStream log) throws IOException {
        UnitKind kind = ScopFdr.parseUnit(o.unit());
        int[][] w = windows.get();
        LlamaModel m = LlamaModel.load(st, cfg, k);
        UnitScores scores = new ScopCriterion().score(new ScoringInput(m, w, o.batch(), null, null, o.seed(), copts, log), Set.of(kind)).get(kind);
        ScopFdr.Result r = ScopFdr.plan(cfg, Fingerprint.of(TensorSource.of(st)), scores, o.fdr(), opts.allocation(), opts);
        for (String warning : r.warnings()) log.println("warning: " + warning);
        log.println("scop --fdr " + o.fdr() + ": " + o.unit() + " indistinguishable from noise per " + (kind == UnitKind.CHANNEL ? "model " : "layer ")
                + Arrays.toString(r.noise()) + ", selected " + Arrays.toString(r.selected()));
        Path file = o.planOut();
        if (file == null) {
            file = Files.createTempFile("prune4j-scop-fdr-", ".json");
            file.toFile().deleteOnExit();
        }
        PlanJson.write(r.plan(), file);
        return file;
    }
}
