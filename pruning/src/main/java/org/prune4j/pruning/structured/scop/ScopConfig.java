package org.prune4j.pruning.structured.scop;

import java.util.Locale;
import org.prune4j.pruning.PruningException;
import org.prune4j.pruning.structured.UnitKind;

/**
 * How SCOP scores one unit kind: which loss trains the gates, which knockoff statistic becomes W_j, and the gate
 * training's steps, learning rate, windows per step and seed. Defaults were chosen on stories260K (README, SCOP).
 */
public record ScopConfig(UnitKind kind, Loss loss, Statistic statistic, int steps, double lr, int batch, long seed) {
    /** The loss the gates are trained on: next-token cross-entropy, or KL to the dense model's own predictions. */
    public enum Loss {
        LM, KD;

        public static Loss parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "lm" -> LM;
                case "kd" -> KD;
                default -> throw new PruningException("--scop-loss must be lm or kd, got '" + s + "'");
            };
        }
    }

    /**
     * The per-unit knockoff statistic W_j. GATE: SCOP's ‖outgoing weights of j‖·(2λ_j − 1) after training the gates.
     * SWAP: the loss's first-order response to swapping the real feature for its knockoff, −∂L/∂λ_j at λ = 1/2
     * (= −E[g·(x − x̃)] at the midpoint x̂ = (x + x̃)/2), averaged over the steps' batches with no gate update.
     * Both flip sign when unit j is swapped with its knockoff, the property the knockoff+ filter needs.
     */
    public enum Statistic {
        GATE, SWAP;

        public static Statistic parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "gate" -> GATE;
                case "swap" -> SWAP;
                default -> throw new PruningException("--scop-statistic must be gate or swap, got '" + s + "'");
            };
        }
    }

    public static final int DEFAULT_STEPS = 64, DEFAULT_BATCH = 8;
    public static final double DEFAULT_LR = 0.01;

    public ScopConfig {
        if (kind == null || loss == null || statistic == null) throw new IllegalArgumentException("kind, loss and statistic are required");
        if (kind != UnitKind.NEURON && kind != UnitKind.HEAD && kind != UnitKind.CHANNEL)
            throw new PruningException("--method scop scores neurons, heads or channels (--unit), not " + kind.name().toLowerCase(Locale.ROOT));
        if (steps < 1) throw new PruningException("--scop-steps must be at least 1, got " + steps);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new PruningException("--scop-lr must be a positive number, got " + lr);
        if (batch < 1) throw new PruningException("--scop-batch must be at least 1, got " + batch);
    }

    public static ScopConfig defaults(UnitKind kind) {
        return new ScopConfig(kind, Loss.LM, Statistic.GATE, DEFAULT_STEPS, DEFAULT_LR, DEFAULT_BATCH, 0);
    }

    public ScopConfig withLoss(Loss l) { return new ScopConfig(kind, l, statistic, steps, lr, batch, seed); }

    public ScopConfig withStatistic(Statistic s) { return new ScopConfig(kind, loss, s, steps, lr, batch, seed); }

    public ScopConfig withSteps(int n) { return new ScopConfig(kind, loss, statistic, n, lr, batch, seed); }

    public ScopConfig withLr(double r) { return new ScopConfig(kind, loss, statistic, steps, r, batch, seed); }

    public ScopConfig withSeed(long s) { return new ScopConfig(kind, loss, statistic, steps, lr, batch, s); }
}
