package org.prune4j.testkit;

import static org.junit.jupiter.api.Assertions.*;
import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.prune4j.pruning.LinearPruner;
import org.prune4j.pruning.Methods;
import org.prune4j.pruning.Sparsity;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.Tensor;

/**
 * Every invariant holds for prune4j's pruners where it should, and rejects a pruner broken in the way it exists
 * to catch: the rejection must come from that invariant, with its message naming the position.
 */
class InvariantsTest {
    static final int EXAMPLES = 40;

    static final LinearPruner MAGNITUDE = Methods.magnitude(false), MAGNITUDE_ROW = Methods.magnitude(true), WANDA = Methods.wanda(),
            SPARSEGPT = Methods.sparseGPT(ScalarKernels.INSTANCE, 1);

    /** The property must fail, and the failure must be {@code invariant}'s. */
    static void rejects(String invariant, Runnable property) {
        AssertionError e = assertThrows(AssertionError.class, property::run, "the broken pruner passed '" + invariant + "'");
        assertTrue(e.getMessage().contains("invariant '" + invariant + "' broken"), e.getMessage());
    }

    @Test
    void nmPattern() {
        for (LinearPruner p : List.of(MAGNITUDE, WANDA, SPARSEGPT))
            qt().withExamples(EXAMPLES).forAll(Gens.nmPatterns().flatMap(nm -> Gens.linearCases(nm.m()).map(c -> Map.entry(nm, c))))
                    .checkAssert(e -> Invariants.nmPattern(p, e.getValue(), e.getKey()));
        rejects("nm-pattern", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(4))
                .checkAssert(c -> Invariants.nmPattern(BrokenPruners.nmAsUnstructured(), c, new org.prune4j.tensor.NM(2, 4))));
    }

    @Test
    void sparsityExact() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCasesWithZeros(), Gens.sparsities()).checkAssert((c, s) -> {
            Invariants.sparsityExact(MAGNITUDE, c, s, false);
            Invariants.sparsityExact(MAGNITUDE_ROW, c, s, true);
            Invariants.sparsityExact(WANDA, c, s, true);
        });
        rejects("sparsity-exact", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities())
                .checkAssert((c, s) -> Invariants.sparsityExact(BrokenPruners.oneShortPerRow(), c, s, true)));
    }

    @Test
    void zeroIsIdentity() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCases()).checkAssert(c -> {
            for (LinearPruner p : List.of(MAGNITUDE, MAGNITUDE_ROW, WANDA, SPARSEGPT)) Invariants.zeroIsIdentity(p, c);
        });
        rejects("zero-is-identity", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases())
                .checkAssert(c -> Invariants.zeroIsIdentity(BrokenPruners.prunesAtZero(), c)));
    }

    @Test
    void deterministic() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities()).checkAssert((c, s) -> {
            for (LinearPruner p : List.of(MAGNITUDE, WANDA, SPARSEGPT)) Invariants.deterministic(p, c, s);
        });
        LinearPruner broken = BrokenPruners.stateful();
        rejects("deterministic", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities())
                .checkAssert((c, s) -> Invariants.deterministic(broken, c, s)));
    }

    @Test
    void zerosStayZero() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCasesWithZeros(), Gens.sparsities()).checkAssert((c, s) -> {
            for (LinearPruner p : List.of(MAGNITUDE, WANDA, SPARSEGPT)) Invariants.zerosStayZero(p, c, s);
        });
        rejects("zeros-stay-zero", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCasesWithZeros(), Gens.sparsities())
                .checkAssert((c, s) -> Invariants.zerosStayZero(BrokenPruners.revivesZeros(), c, s)));
    }

    @Test
    void subNetwork() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities()).checkAssert((c, s) -> {
            for (LinearPruner p : List.of(MAGNITUDE, MAGNITUDE_ROW, WANDA)) Invariants.subNetwork(p, c, s);
        });
        rejects("sub-network", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities())
                .checkAssert((c, s) -> Invariants.subNetwork(BrokenPruners.rescalesSurvivors(), c, s)));
        // SparseGPT reconstructs the survivors, so it is not a sub-network: the invariant must say so
        rejects("sub-network", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities())
                .checkAssert((c, s) -> Invariants.subNetwork(SPARSEGPT, c, s)));
    }

    @Test
    void permutations() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities(), Gens.seeds()).checkAssert((c, s, seed) -> {
            for (LinearPruner p : List.of(MAGNITUDE, MAGNITUDE_ROW, WANDA, SPARSEGPT)) Invariants.rowPermutationInvariant(p, c, s, seed);
            for (LinearPruner p : List.of(MAGNITUDE, MAGNITUDE_ROW, WANDA)) Invariants.columnPermutationInvariant(p, c, s, seed);
        });
        rejects("column-permutation", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities(), Gens.seeds())
                .checkAssert((c, s, seed) -> Invariants.columnPermutationInvariant(BrokenPruners.byColumnIndex(), c, s, seed)));
        rejects("row-permutation", () -> qt().withExamples(EXAMPLES).forAll(Gens.linearCases(), Gens.sparsities(), Gens.seeds())
                .checkAssert((c, s, seed) -> Invariants.rowPermutationInvariant(BrokenPruners.evenRowsOnly(), c, s, seed)));
    }

    @Test
    void keepsMask() {
        qt().withExamples(EXAMPLES).forAll(Gens.linearCasesWithZeros()).checkAssert(c -> {
            float[] w = c.weights(), masked = c.weights(), nudged = c.weights();
            w[0] = masked[0] = nudged[0] = 0; // at least one pruned weight
            Tensor sparse = Tensor.of(w, c.rows(), c.cols());
            for (int i = 0; i < masked.length; i++) {
                masked[i] = masked[i] == 0 ? 0 : masked[i] * 0.9f; // a masked update: pruned weights stay zero
                nudged[i] += 1e-3f;                                 // an unmasked update
            }
            Invariants.keepsMask(Map.of("w", sparse), Map.of("w", Tensor.of(masked, c.rows(), c.cols())));
            InvariantViolation v = assertThrows(InvariantViolation.class,
                    () -> Invariants.keepsMask(Map.of("w", sparse), Map.of("w", Tensor.of(nudged, c.rows(), c.cols()))));
            assertTrue(v.getMessage().contains("w [") && v.getMessage().contains("was pruned"), v.getMessage());
        });
    }
}
