package org.prune4j.io.config;

/**
 * A RoPE frequency scaling from {@code rope_scaling}: {@code llama3} (Llama 3.1's smooth blend between scaled low
 * frequencies and untouched high frequencies) or {@code linear} (position interpolation: every frequency divided by
 * {@code factor}). Fields a type does not use are NaN / 0. Other types (dynamic, yarn, longrope) are refused when the
 * config is read, because their frequencies depend on the sequence length or on extra attention scaling.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {
    /** The rope types prune4j implements (besides "default", which means no scaling). */
    public static final String SUPPORTED = "default, linear, llama3";

    /** Llama 3.1-style scaling. */
    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings) {
        return new RopeScaling("llama3", factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings);
    }

    /** Linear position interpolation. */
    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, Double.NaN, Double.NaN, 0);
    }

    /**
     * Rescales the default inverse frequencies {@code invFreq} in place, as Hugging Face's
     * {@code _compute_llama3_parameters} / {@code _compute_linear_scaling_rope_parameters} do.
     */
    public void apply(double[] invFreq) {
        switch (type) {
            case "linear" -> {
                for (int i = 0; i < invFreq.length; i++) invFreq[i] /= factor;
            }
            case "llama3" -> {
                double oldContext = originalMaxPositionEmbeddings;
                double lowFreqWavelen = oldContext / lowFreqFactor;   // wavelengths longer than this are scaled fully
                double highFreqWavelen = oldContext / highFreqFactor; // wavelengths shorter than this are kept
                for (int i = 0; i < invFreq.length; i++) {
                    double f = invFreq[i];
                    double wavelen = 2 * Math.PI / f;
                    if (wavelen > lowFreqWavelen) {
                        invFreq[i] = f / factor;
                    } else if (wavelen >= highFreqWavelen) {
                        // medium band: blend the scaled and the original frequency
                        double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                        invFreq[i] = (1 - smooth) * f / factor + smooth * f;
                    }
                }
            }
            default -> throw new IllegalStateException("rope scaling type " + type + " is not implemented (supported: " + SUPPORTED + ")");
        }
    }
}
