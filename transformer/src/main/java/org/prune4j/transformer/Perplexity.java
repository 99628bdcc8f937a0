package org.prune4j.transformer;

import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.tensor.Kernels;
import org.prune4j.tensor.Tensor;

/**
 * Language-model evaluation over token windows: every position but the last of each window predicts the next
 * token, NLL is the mean of -log p over all those predictions (L-1 per window of L), perplexity = exp(NLL).
 * Sums run in double. The output head runs on chunks of positions so [positions, vocab] never has to fit at once.
 */
public final class Perplexity {
    private Perplexity() {}

    /** Mean negative log-likelihood (nats/token), its exponential, and the number of predicted positions. */
    public record Result(double nll, double ppl, long tokens) {}

    /** Called after each batch with predicted positions done so far and in total. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    /** Rows of logits the head computes at once. */
    private static final int HEAD_CHUNK = 512;

    /** Evaluates {@code windows} (each at least 2 tokens), {@code batch} windows of equal length per forward pass. */
    public static Result evaluate(LlamaModel model, int[][] windows, int batch, Progress progress) {
        if (windows.length == 0) throw new IllegalArgumentException("no windows to evaluate");
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        long total = 0;
        for (int[] w : windows) {
            if (w.length < 2) throw new IllegalArgumentException("a window needs at least 2 tokens to predict one, got " + w.length);
            total += w.length - 1;
        }
        double nll = 0;
        long done = 0;
        for (int i = 0; i < windows.length; ) {
            int j = i + 1;
            while (j < windows.length && j - i < batch && windows[j].length == windows[i].length) j++;
            int[][] rows = java.util.Arrays.copyOfRange(windows, i, j);
            nll += batchNll(model, rows);
            for (int[] r : rows) done += r.length - 1;
            if (progress != null) progress.update(done, total);
            i = j;
        }
        double mean = nll / total;
        return new Result(mean, Math.exp(mean), total);
    }

    /** Sum of -log p(next token) over every predicted position of equal-length rows. */
    static double batchNll(LlamaModel model, int[][] rows) {
        Kernels k = model.kernels();
        Tape tape = Tape.inference(k);
        int b = rows.length, t = rows[0].length, c = model.config().hiddenSize();
        Var h = model.embed(tape, rows);
        for (int i = 0; i < model.numLayers(); i++) h = model.forwardLayer(tape, i, h, 0, Observer.NONE);
        Tensor hidden = h.value().reshape(b * t, c);
        double sum = 0;
        for (int r0 = 0; r0 < b * t; r0 += HEAD_CHUNK) {
            int n = Math.min(HEAD_CHUNK, b * t - r0);
            Tensor lsm = k.logSoftmax(model.head(tape, Var.constant(hidden.narrow(0, r0, n))).value()); // [n, V]
            for (int r = r0; r < r0 + n; r++) {
                int row = r / t, pos = r % t;
                if (pos == t - 1) continue; // the last position has nothing to predict
                sum -= lsm.get(r - r0, rows[row][pos + 1]);
            }
        }
        return sum;
    }
}
