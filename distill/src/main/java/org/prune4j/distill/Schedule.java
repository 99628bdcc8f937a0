package org.prune4j.distill;

import java.util.Locale;

/**
 * Learning rate of step {@code it} (0-based) of {@code steps}: a linear warm-up from lr/warmup to lr over
 * {@code warmup} steps, then
 * <ul>
 * <li>{@code CONSTANT}: lr;</li>
 * <li>{@code COSINE}: half a cosine from lr down to minLr at the last step (nanoGPT, HF's cosine);</li>
 * <li>{@code WSD}: warmup-stable-decay (Hu et al. 2024, MiniCPM): lr until the last {@code decay} steps, then linear
 *     down to minLr at the last step.</li>
 * </ul>
 */
public enum Schedule {
    CONSTANT, COSINE, WSD;

    /** Parses constant|cosine|wsd (the CLI spelling). */
    public static Schedule parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--schedule must be constant, cosine or wsd, got '" + s + "'");
        }
    }

    /** The rate of step {@code it}; {@code decay} is WSD's decay length (ignored otherwise). */
    public double rate(int it, int steps, double lr, double minLr, int warmup, int decay) {
        if (it < warmup) return lr * (it + 1) / warmup;
        return switch (this) {
            case CONSTANT -> lr;
            case COSINE -> {
                int decaySteps = Math.max(1, steps - warmup);
                double progress = Math.min(1.0, (double) (it - warmup) / decaySteps);
                yield minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (lr - minLr);
            }
            case WSD -> {
                int start = Math.max(warmup, steps - decay);
                if (it < start) yield lr;
                double progress = Math.min(1.0, (double) (it - start + 1) / Math.max(1, steps - start));
                yield lr + progress * (minLr - lr);
            }
        };
    }
}
