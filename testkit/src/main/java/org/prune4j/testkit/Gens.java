package org.prune4j.testkit;

import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.SplittableRandom;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.Sparsity;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators over {@link Generators}. Linear cases shrink in their sizes (rows, then columns, then
 * tokens), so a failure reports the smallest layer that still breaks; configs and models are drawn from a seed
 * and print as their config.
 */
public final class Gens {
    private Gens() {}

    /**
     * Linear layers of 1-24 rows, 1-40 columns and 1-32 calibration tokens, no weight zero.
     *
     * @return the generator
     */
    public static Gen<LinearCase> linearCases() {
        return integers().between(1, 24).zip(integers().between(1, 40), integers().between(1, 32), longs().all(),
                (r, c, t, s) -> new LinearCase(r, c, t, 0, s));
    }

    /**
     * Linear layers whose width is a multiple of {@code m} (1-8 groups), for N:M targets.
     *
     * @param m the group size M that every width is a multiple of
     * @return the generator
     */
    public static Gen<LinearCase> linearCases(int m) {
        return integers().between(1, 24).zip(integers().between(1, 8), integers().between(1, 32), longs().all(),
                (r, g, t, s) -> new LinearCase(r, g * m, t, 0, s));
    }

    /**
     * Linear layers with a fraction 0.05-0.5 of their weights already zero.
     *
     * @return the generator
     */
    public static Gen<LinearCase> linearCasesWithZeros() {
        return linearCases().zip(integers().between(5, 50), (c, z) -> new LinearCase(c.rows(), c.cols(), c.tokens(), z / 100.0, c.seed()));
    }

    /**
     * Unstructured targets 0-95% in steps of 5%.
     *
     * @return the generator
     */
    public static Gen<Sparsity.Unstructured> sparsities() {
        return integers().between(0, 19).map(i -> new Sparsity.Unstructured(i * 0.05));
    }

    /**
     * The N:M patterns used in practice: 1:2, 2:4, 4:8 (and 1:4, 3:4, 2:8 for coverage).
     *
     * @return the generator
     */
    public static Gen<org.prune4j.tensor.NM> nmPatterns() {
        return Generate.pick(java.util.List.of(new org.prune4j.tensor.NM(1, 2), new org.prune4j.tensor.NM(2, 4), new org.prune4j.tensor.NM(4, 8),
                new org.prune4j.tensor.NM(1, 4), new org.prune4j.tensor.NM(3, 4), new org.prune4j.tensor.NM(2, 8)));
    }

    /**
     * Random Llama-family configs ({@link Generators#config}), printed as their config.
     *
     * @return the generator
     */
    public static Gen<ModelConfig> configs() {
        return longs().all().map(s -> Generators.config(new SplittableRandom(s))).describedAs(ModelConfig::toString);
    }

    /**
     * A seed for the plain functions of {@link Generators} (models, windows, masks, plans).
     *
     * @return the generator
     */
    public static Gen<Long> seeds() {
        return longs().between(0, 1_000_000);
    }
}
