package org.prune4j.cli;

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
 * {@code prune --method scop --fdr Q --unit U}: scores the units with SCOP, turns the knockoff+ selection into a
 * plan (noise counts per layer on the log), and saves it where the structured driver applies it, so the write path
 * is the same as for {@code --plan}: --plan-out FILE when given, else a temporary file.
 */
final class ScopFdrRun {
    private ScopFdrRun() {}

    static Path plan(PruneCommand c, StructuredOptions s, ModelConfig cfg, SafeTensors st, Kernels k, Supplier<int[][]> windows,
                     Map<String, String> copts, Planner.Allocation allocation, Planner.Options opts) throws IOException {
        UnitKind kind = ScopFdr.parseUnit(s.unit);
        PrintStream log = c.common.log();
        int[][] w = windows.get();
        LlamaModel m = LlamaModel.load(st, cfg, k);
        UnitScores scores = new ScopCriterion().score(new ScoringInput(m, w, s.batch, null, null, c.seed, copts, log), Set.of(kind)).get(kind);
        ScopFdr.Result r = ScopFdr.plan(cfg, Fingerprint.of(TensorSource.of(st)), scores, s.fdr, allocation, opts);
        for (String warning : r.warnings()) log.println("warning: " + warning);
        log.println("scop --fdr " + s.fdr + ": " + s.unit + " indistinguishable from noise per " + (kind == UnitKind.CHANNEL ? "model " : "layer ")
                + Arrays.toString(r.noise()) + ", selected " + Arrays.toString(r.selected()));
        Path file = s.planOut;
        if (file == null) {
            file = Files.createTempFile("prune4j-scop-fdr-", ".json");
            file.toFile().deleteOnExit();
        }
        PlanJson.write(r.plan(), file);
        return file;
    }
}
