package org.prune4j.transformer;

import java.util.ArrayList;
import java.util.List;
import org.prune4j.autograd.AdamW;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.io.data.Windows;

/**
 * Trains a model on a token stream: each step draws {@code batch} random windows of {@code seqLen} tokens (seeded),
 * minimises the mean next-token cross-entropy with AdamW (decay on matrices only), clips the global gradient norm,
 * and follows a linear warm-up then cosine decay of the learning rate to {@code minLr} (as nanoGPT does).
 */
public final class Trainer {
    private Trainer() {}

    /** Hyper-parameters of a run. */
    public record Settings(int steps, int batch, int seqLen, double lr, double minLr, int warmup, double weightDecay,
                           double gradClip, long seed) {
        public Settings {
            if (steps < 1 || batch < 1 || seqLen < 2) throw new IllegalArgumentException("need steps >= 1, batch >= 1, seqLen >= 2; got " + steps + ", " + batch + ", " + seqLen);
            if (!(lr > 0) || minLr < 0 || minLr > lr) throw new IllegalArgumentException("need 0 <= minLr <= lr, lr > 0; got lr " + lr + ", minLr " + minLr);
            if (warmup < 0) throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
        }
    }

    /** What one step did. */
    public record Step(int step, double loss, double lr, double gradNorm, long tokens) {}

    /** Called after every step. */
    @FunctionalInterface
    public interface Listener {
        void step(Step s);
    }

    /** Learning rate of step {@code it} (0-based): linear warm-up to lr, then cosine down to minLr at the last step. */
    public static double learningRate(Settings s, int it) {
        if (it < s.warmup()) return s.lr() * (it + 1) / s.warmup();
        int decaySteps = Math.max(1, s.steps() - s.warmup());
        double progress = Math.min(1.0, (double) (it - s.warmup()) / decaySteps);
        return s.minLr() + 0.5 * (1 + Math.cos(Math.PI * progress)) * (s.lr() - s.minLr());
    }

    /** Runs {@code s.steps()} optimisation steps of {@code model} on {@code tokens}; returns the last step. */
    public static Step train(LlamaModel model, int[] tokens, Settings s, Listener listener) {
        if (tokens.length < s.seqLen()) throw new IllegalArgumentException("the training stream has " + tokens.length + " tokens, fewer than one window of " + s.seqLen());
        model.setTrainable(true);
        List<Var> params = new ArrayList<>(model.parameters().values());
        AdamW opt = new AdamW(params, v -> v.rank() >= 2, new AdamW.Settings(0.9, 0.95, 1e-8, s.weightDecay()), threadsOf(model));
        Step last = null;
        for (int it = 0; it < s.steps(); it++) {
            int[][] batch = Windows.random(tokens, s.batch(), s.seqLen(), s.seed() * 1_000_003L + it);
            Tape tape = new Tape(model.kernels());
            model.zeroGrad();
            Var loss = model.loss(tape, batch, Observer.NONE);
            tape.backward(loss);
            double norm = AdamW.clipGradNorm(params, s.gradClip());
            double lr = learningRate(s, it);
            opt.step(lr);
            last = new Step(it + 1, loss.value().item(), lr, norm, (long) (it + 1) * s.batch() * s.seqLen());
            if (listener != null) listener.step(last);
        }
        model.zeroGrad();
        return last;
    }

    private static int threadsOf(LlamaModel m) {
        return m.kernels().parallelism();
    }
}
