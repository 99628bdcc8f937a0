package org.prune4j.distill;

import java.util.Map;
import org.prune4j.autograd.Tape;
import org.prune4j.autograd.Var;
import org.prune4j.transformer.LlamaModel;
import org.prune4j.transformer.Observer;

/** Plain language-model training: the mean next-token cross-entropy of the model on the batch. */
public record LmObjective(LlamaModel model) implements Objective {
    @Override
    public Loss loss(Tape tape, int[][] batch) {
        Var ce = model.loss(tape, batch, Observer.NONE);
        return new Loss(ce, Map.of("ce", (double) ce.value().item()));
    }
}
