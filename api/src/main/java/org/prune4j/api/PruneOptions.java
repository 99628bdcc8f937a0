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
 *
 * @param model the dense model folder ({@code --model})
 * @param method the method or a user class or provider name ({@code --method})
 * @param sparsity the unstructured fraction ({@code --sparsity}), or null
 * @param nm the N:M pattern ({@code --nm}), or null
 * @param ratios per-layer ratios, JSON ({@code --ratios}), or null
 * @param perRow magnitude within each row ({@code --per-row})
 * @param calib calibration data ({@code --calib}), or null
 * @param docSeparator document separator of the calibration text ({@code --doc-separator}), or null
 * @param calibSamples calibration windows ({@code --calib-samples})
 * @param seqLen tokens per window ({@code --seq-len}), or null
 * @param calibSampling first or random ({@code --calib-sampling})
 * @param seed seed of random windows ({@code --seed})
 * @param blockSize SparseGPT's columns per block ({@code --block-size})
 * @param damp SparseGPT's dampening ({@code --damp})
 * @param microBatch windows per forward pass ({@code --micro-batch}); 0: automatic
 * @param out the output folder ({@code --out})
 * @param force replace an existing output folder ({@code --force})
 * @param nmTailDense leave a short last N:M group dense ({@code --nm-tail dense})
 * @param saveFormat dense or compressed-tensors ({@code --save-format})
 */
public record PruneOptions(Path model, String method, Double sparsity, String nm, Path ratios, boolean perRow, Path calib, String docSeparator,
                           int calibSamples, Integer seqLen, String calibSampling, long seed, int blockSize, double damp, int microBatch,
                           Path out, boolean force, boolean nmTailDense, CheckpointPruner.SaveFormat saveFormat) {
    /** Checks the flags' rules with the command's messages. */
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

    /**
     * Options for pruning {@code model} with {@code method} into {@code out}; the rest at the CLI's defaults.
     *
     * @param model the dense model folder
     * @param method the method
     * @param out the output folder
     * @return a builder
     */
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

        /**
         * Sets {@code --sparsity}.
         * @param v the value
         * @return this builder
         */
        public Builder sparsity(double v) { sparsity = v; return this; }
        /**
         * Sets {@code --nm}.
         * @param v the value
         * @return this builder
         */
        public Builder nm(String v) { nm = v; return this; }
        /**
         * Sets {@code --ratios}.
         * @param v the value
         * @return this builder
         */
        public Builder ratios(Path v) { ratios = v; return this; }
        /**
         * Sets {@code --per-row}.
         * @param v the value
         * @return this builder
         */
        public Builder perRow(boolean v) { perRow = v; return this; }
        /**
         * Sets {@code --calib}.
         * @param v the value
         * @return this builder
         */
        public Builder calib(Path v) { calib = v; return this; }
        /**
         * Sets {@code --doc-separator}.
         * @param v the value
         * @return this builder
         */
        public Builder docSeparator(String v) { docSeparator = v; return this; }
        /**
         * Sets {@code --calib-samples}.
         * @param v the value
         * @return this builder
         */
        public Builder calibSamples(int v) { calibSamples = v; return this; }
        /**
         * Sets {@code --seq-len}.
         * @param v the value
         * @return this builder
         */
        public Builder seqLen(Integer v) { seqLen = v; return this; }
        /**
         * Sets {@code --calib-sampling}.
         * @param v the value
         * @return this builder
         */
        public Builder calibSampling(String v) { calibSampling = v; return this; }
        /**
         * Sets {@code --seed}.
         * @param v the value
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Sets {@code --block-size}.
         * @param v the value
         * @return this builder
         */
        public Builder blockSize(int v) { blockSize = v; return this; }
        /**
         * Sets {@code --damp}.
         * @param v the value
         * @return this builder
         */
        public Builder damp(double v) { damp = v; return this; }
        /**
         * Sets {@code --micro-batch}.
         * @param v the value
         * @return this builder
         */
        public Builder microBatch(int v) { microBatch = v; return this; }
        /**
         * Sets {@code --force}.
         * @param v the value
         * @return this builder
         */
        public Builder force(boolean v) { force = v; return this; }
        /**
         * Sets {@code --nm-tail dense}.
         * @param v the value
         * @return this builder
         */
        public Builder nmTailDense(boolean v) { nmTailDense = v; return this; }
        /**
         * Sets {@code --save-format}.
         * @param v the value
         * @return this builder
         */
        public Builder saveFormat(CheckpointPruner.SaveFormat v) { saveFormat = v; return this; }

        /**
         * Builds the options, checking the flags' rules.
         * @return the options
         */
        public PruneOptions build() {
            return new PruneOptions(model, method, sparsity, nm, ratios, perRow, calib, docSeparator, calibSamples, seqLen, calibSampling, seed,
                    blockSize, damp, microBatch, out, force, nmTailDense, saveFormat);
        }
    }
}
