package org.example.criterion;

import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.PrunerProvider;
import org.prune4j.tensor.Kernels;

/** Makes {@code --method output-norm-wanda} work once this jar is on the class path (META-INF/services). */
public final class Provider implements PrunerProvider {
    @Override public String name() { return "output-norm-wanda"; }
    @Override public LinearPruner create(Kernels kernels, int threads) { return new OutputNormWanda(); }
}
