package org.prune4j.pruning;

import org.prune4j.tensor.Kernels;

/**
 * A pruning method from outside prune4j, found through {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/org.prune4j.pruning.PrunerProvider}) and chosen by {@link #name()} ({@code --method NAME}).
 */
public interface PrunerProvider {

    /** The name users pass to {@code --method}. */
    String name();

    /** A pruner computing with {@code kernels} on {@code threads} CPU threads. */
    LinearPruner create(Kernels kernels, int threads);
}
