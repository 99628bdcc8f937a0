package org.prune4j.pruning.structured;

import java.io.PrintStream;
import java.util.Map;
import org.prune4j.transformer.LlamaModel;

/**
 * What a structured criterion scores with: the dense model loaded in memory, the calibration windows (each of the
 * same length; null or empty for data-free criteria), how many windows go through one forward/backward pass
 * ({@code --batch}, Michel's batch of the loss), Minitron's aggregations, a seed (random), criterion-specific
 * options ({@code --criterion-option KEY=VALUE}, e.g. taylor's variant) and where progress goes. A criterion that
 * {@link StructuredCriterion#streams streams} may instead get the model as a {@link LayerStream} (model null), one
 * decoder layer at a time from the mapped checkpoint.
 */
public record ScoringInput(LlamaModel model, int[][] windows, int batch, Aggregation seq, Aggregation batchAgg,
                           long seed, Map<String, String> options, PrintStream log, LayerStream stream) {
    /** The dense model in memory. */
    public ScoringInput(LlamaModel model, int[][] windows, int batch, Aggregation seq, Aggregation batchAgg, long seed, Map<String, String> options,
                        PrintStream log) {
        this(model, windows, batch, seq, batchAgg, seed, options, log, null);
    }

    public ScoringInput {
        if ((model == null) == (stream == null)) throw new IllegalArgumentException("give the model in memory or as a layer stream, one of them");
        if (batch < 1) throw new StructuredException("--batch must be at least 1, got " + batch);
        if (windows != null && windows.length > 0) {
            int t = windows[0].length;
            for (int[] w : windows)
                if (w.length != t) throw new StructuredException("calibration windows must all have " + t + " tokens, one has " + w.length);
        }
        options = options == null ? Map.of() : Map.copyOf(options);
        seq = seq == null ? Aggregation.MEAN : seq;
        batchAgg = batchAgg == null ? Aggregation.L2 : batchAgg;
        log = log == null ? new PrintStream(java.io.OutputStream.nullOutputStream()) : log; // never null: criteria print progress unguarded
    }

    /** The windows in consecutive batches of at most {@link #batch()} (the last one may be smaller). */
    public int[][][] batches() {
        if (windows == null || windows.length == 0) throw new StructuredException("this criterion needs calibration data (--calib)");
        int n = (windows.length + batch - 1) / batch;
        int[][][] out = new int[n][][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(windows, i * batch, Math.min(windows.length, (i + 1) * batch));
        return out;
    }

    /** The model's config, in memory or streamed. */
    public org.prune4j.io.config.ModelConfig config() { return model != null ? model.config() : stream.config(); }

    /** A criterion option, or {@code dflt}. */
    public String option(String key, String dflt) { return options.getOrDefault(key, dflt); }
}
