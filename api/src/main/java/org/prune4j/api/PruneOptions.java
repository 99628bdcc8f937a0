package org.prune4j.api;

import java.nio.file.Path;
import org.prune4j.pruning.CheckpointPruner;

/**
 * {@code prune}'s unstructured flags with its defaults: {@code --method} (magnitude, wanda, sparsegpt, a
 * PrunerProvider name or a class name), {@code --sparsity} or {@code --nm} (exactly one, unless {@code --ratios}),
 * {@code --ratios}, {@code --per-row}, {@code --calib}, {@code --doc-separator}, {@code --calib-samples} (128),
 * {@code --seq-len} (null: min(2048, max_position_embeddings)), {@code --calib-sampling} (random), {@code --seed}
 * (0), {@code --block-size} (128), {@code --damp} (0.01), {@code --micro-batch} (0: automatic), {@code --out},
 * {@code --force}, {@code --nm-tail} (refuse; dense leaves a short last group dense), {@code --save-format} (dense;
 * compressed-tensors writes 2:4 weights in its sparse-24-bitmask layout). Build one with {@link #builder}.
 */
public record PruneOptions(Path model, String method, Double sparsity, String nm, Path ratios, boolean perRow, Path calib, String docSeparator,
                           int calibSamples, Integer seqLen, String calibSampling, long seed, int blockSize, double damp, int microBatch,
                           Path out, boolean force, boolean nmTailDense, CheckpointPruner.SaveFormat saveFormat) {
    public PruneOptions {
        if (saveFormat == null) saveFormat = CheckpointPruner.SaveFormat.DENSE;
        if (nmTailDense && nm == null) throw new Prune4jException.InvalidOptions("--nm-tail applies to --nm only");
        if (saveFormat == CheckpointPruner.SaveFormat.COMPRESSED_TENSORS && (!"2:4".equals(nm == null ? null : nm.strip()) || nmTailDense || ratios != null))
            throw new Prune4jException.InvalidOptions("--save-format compressed-tensors stores 2:4 weights (its sparse-24-bitmask format): use it with --nm 2:4 and no --nm-tail dense");
        if (model == null) throw new Prune4jException.InvalidOptions("give the model folder (--model)");
        if (method == null) throw new Prune4jException.InvalidOptions("give --method magnitude|wanda|sparsegpt (or a class name)");
        if (out == null) throw new Prune4jException.InvalidOptions("give --out DIR");
        if (sparsity != null && nm != null) throw new Prune4jException.InvalidOptions("--sparsity and --nm exclude each other");
        if (sparsity == null && nm == null && ratios == null) throw new Prune4jException.InvalidOptions("give --sparsity S (unstructured), --nm N:M, or --ratios FILE");
        if (nm != null && ratios != null) throw new Prune4jException.InvalidOptions("--ratios sets unstructured ratios; it cannot be combined with --nm");
        if (perRow && !method.equals("magnitude")) throw new Prune4jException.InvalidOptions("--per-row applies to magnitude only (wanda always compares within rows)");
        if (blockSize < 1) throw new Prune4jException.InvalidOptions("--block-size must be >= 1, got " + blockSize);
        if (!(damp >= 0)) throw new Prune4jException.InvalidOptions("--damp must be >= 0, got " + damp);
        if (calibSamples < 1) throw new Prune4jException.InvalidOptions("--calib-samples must be >= 1, got " + calibSamples);
        if (seqLen != null && seqLen < 2) throw new Prune4jException.InvalidOptions("--seq-len must be >= 2, got " + seqLen);
    }

    /** Options for pruning {@code model} with {@code method} into {@code out}; the rest at the CLI's defaults. */
    public static Builder builder(Path model, String method, Path out) {
        return new Builder(model, method, out);
    }

    /** The CLI's defaults, changed one flag at a time. */
    public static final class Builder {
        private final Path model, out;
        private final String method;
        private Double sparsity;
        private String nm, docSeparator, calibSampling = "random";
        private Path ratios, calib;
        private boolean perRow, force, nmTailDense;
        private CheckpointPruner.SaveFormat saveFormat = CheckpointPruner.SaveFormat.DENSE;
        private int calibSamples = 128, blockSize = 128, microBatch;
        private Integer seqLen;
        private long seed;
        private double damp = 0.01;

        Builder(Path model, String method, Path out) {
            this.model = model;
            this.method = method;
            this.out = out;
        }

        public Builder sparsity(double v) { sparsity = v; return this; }
        public Builder nm(String v) { nm = v; return this; }
        public Builder ratios(Path v) { ratios = v; return this; }
        public Builder perRow(boolean v) { perRow = v; return this; }
        public Builder calib(Path v) { calib = v; return this; }
        public Builder docSeparator(String v) { docSeparator = v; return this; }
        public Builder calibSamples(int v) { calibSamples = v; return this; }
        public Builder seqLen(Integer v) { seqLen = v; return this; }
        public Builder calibSampling(String v) { calibSampling = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder blockSize(int v) { blockSize = v; return this; }
        public Builder damp(double v) { damp = v; return this; }
        public Builder microBatch(int v) { microBatch = v; return this; }
        public Builder force(boolean v) { force = v; return this; }
        public Builder nmTailDense(boolean v) { nmTailDense = v; return this; }
        public Builder saveFormat(CheckpointPruner.SaveFormat v) { saveFormat = v; return this; }

        public PruneOptions build() {
            return new PruneOptions(model, method, sparsity, nm, ratios, perRow, calib, docSeparator, calibSamples, seqLen, calibSampling, seed,
                    blockSize, damp, microBatch, out, force, nmTailDense, saveFormat);
        }
    }
}
