package org.prune4j.distill;

import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;

/** Next-token targets of a batch: position t of each row predicts token t+1; the last position predicts nothing. */
final class NextToken {
    private NextToken() {}

    /** PyTorch's ignore_index default; token ids are never negative. */
    static final int IGNORE = -100;

    /** Targets [B*T] for rows [B][T], the last of each row {@link #IGNORE}d. */
    static int[] targets(int[][] batch) {
        int b = batch.length, t = batch[0].length;
        int[] out = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(batch[i], 1, out, i * t, t - 1);
            out[i * t + t - 1] = IGNORE;
        }
        return out;
    }

    /** Mean next-token cross-entropy of logits [B*T, V] (the loss Hugging Face computes with labels = input_ids). */
    static Var crossEntropy(Tape tape, Var logits2d, int[][] batch) {
        return tape.crossEntropy(logits2d, targets(batch), IGNORE);
    }
}
