package org.prune4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The {@code prune} options of structured pruning (heads, KV groups, neurons, channels, layers removed for real);
 * any of {@code --target} or {@code --plan} makes a run structured. Kept apart from {@link PruneCommand} so the
 * unstructured options and their meaning stay as they are.
 */
public final class StructuredOptions {
    @Option(names = "--target", paramLabel = "KEY=VALUE", description = {"Structured: the new size of a Hugging Face config key; repeat to combine:",
            "num_attention_heads, num_key_value_heads, intermediate_size, hidden_size, num_hidden_layers."})
    List<String> targets = new ArrayList<>();

    @Option(names = "--plan", description = "Structured: apply a saved plan (from --plan-out) without scoring; refused on any other model.")
    Path plan;

    @Option(names = "--plan-out", description = "Structured: save the plan (kept units per layer and the scores behind them) as JSON.")
    Path planOut;

    @Option(names = "--kv-reduce", defaultValue = "mean-pool", description = "num_key_value_heads: mean-pool (average consecutive KV heads, Ainslie et al.; default)"
            + " or prune (drop whole KV groups by score).")
    String kvReduce;

    @Option(names = "--allocation", defaultValue = "uniform", description = "uniform (same sizes in every layer, a plain HF config; default) or global"
            + " (heads and neurons ranked across layers; per-layer shapes that prune4j reads and Hugging Face does not; see --hf-pad).")
    String allocation;

    @Option(names = "--hf-pad", description = "Structured, with per-layer shapes (--allocation global): write every layer zero-padded to the widest"
            + " layer's heads, KV heads and neurons instead, a plain config that Hugging Face loads; the same function.")
    boolean hfPad;

    @Option(names = "--stream-layers", defaultValue = "auto", description = "Structured scoring with minitron: on (one decoder layer at a time from the"
            + " mapped checkpoint, holding the calibration windows' residual stream; the same scores), off (the F32 model in the heap),"
            + " auto (on when the F32 model would take more than half the heap; default).")
    String streamLayers;

    @Option(names = "--agg-seq", defaultValue = "mean", description = "minitron: reduction over a window's positions: mean (default), l2 or var.")
    String aggSeq;

    @Option(names = "--agg-batch", defaultValue = "l2", description = "minitron: reduction over calibration windows: l2 (default), mean or var.")
    String aggBatch;

    @Option(names = "--depth-metric", defaultValue = "bi", description = "num_hidden_layers with minitron: bi (block importance 1 - cos(x_in, x_out); default)"
            + " or loss (LM-loss increase when the layer is skipped).")
    String depthMetric;

    @Option(names = "--contiguous", description = "num_hidden_layers: drop one block of consecutive layers, the one with the least angular distance"
            + " between its input and output (Gromov et al.).")
    boolean contiguous;

    @Option(names = "--batch", defaultValue = "8", description = "Structured: calibration windows per forward/backward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--criterion-option", paramLabel = "KEY=VALUE", description = "Structured: an option of the criterion (e.g. taylor's variant).")
    List<String> criterionOptions = new ArrayList<>();

    @Option(names = "--taylor", paramLabel = "VARIANT", description = "taylor (LLM-Pruner): salience per weight: first (sum of |g*w|; default),"
            + " vectorize (|sum of g*w| per row/column), second (w*F*w, F the per-window empirical Fisher), mix (g*w - w*F*w/2).")
    String taylor;

    @Option(names = "--group-agg", paramLabel = "AGG", description = "taylor: how the matrices of a unit combine: sum (default), mean, max, prod or first.")
    String groupAgg;

    @Option(names = "--iterative", paramLabel = "STEPS", description = "michel: remove heads in STEPS steps, re-scoring the survivors (removed heads"
            + " masked to zero) between steps, as Michel et al. do.")
    Integer iterative;

    @Option(names = "--fdr", paramLabel = "Q", description = {"Structured, --method scop, in place of --target: keep per layer the units whose knockoff",
            "statistic passes the knockoff+ threshold at false-discovery rate Q in (0, 1); shapes follow from the data."})
    Double fdr;

    @Option(names = "--unit", description = "With --fdr: the units tested, neurons, heads or channels.")
    String unit;

    @Option(names = "--scop-loss", description = "scop: the loss of the knockoff gates, kd (KL to the dense model; default) or lm (next-token loss).")
    String scopLoss;

    @Option(names = "--scop-statistic", description = "scop: swap (-dL/d gate at 1/2, the knockoff-swap effect; default) or gate (trained gates, ||w||(2 gate - 1)).")
    String scopStatistic;

    @Option(names = "--scop-steps", description = "scop: batches of --batch windows the statistic is averaged (or the gates trained) over (default 64).")
    Integer scopSteps;

    @Option(names = "--scop-lr", description = "scop, --scop-statistic gate: Adam's learning rate for the gates (default 0.01).")
    Double scopLr;

    /** True when these options ask for a structured run. */
    boolean active() {
        return !targets.isEmpty() || plan != null || fdr != null;
    }
}
