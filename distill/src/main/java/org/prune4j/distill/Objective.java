package org.prune4j.distill;

import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;

/**
 * What a training step minimises: one micro-batch of token windows [B][T] in, a scalar loss on the tape out. The
 * one thing that differs between {@code train} (next-token cross-entropy) and {@code distill} (logit KD, hidden KD,
 * their mix with CE); the loop around it (optimizer, schedule, accumulation, masks, checkpoints) is shared.
 */
public interface Objective {
    /** The loss to backpropagate, and its named parts (kd, ce, hidden) as plain numbers for logs. */
    record Loss(Var total, Map<String, Double> parts) {}

    /** The loss of {@code batch} [B][T] computed on {@code tape} (recording). */
    Loss loss(Tape tape, int[][] batch);

    /** Trainable parameters the objective owns beyond the student's (hidden-state projections), by name. */
    default Map<String, Var> extraParameters() { return Map.of(); }
}
