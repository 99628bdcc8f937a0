package org.example.criterion;

import static org.quicktheories.QuickTheory.qt;

import org.junit.jupiter.api.Test;
import org.prune4j.testkit.Gens;
import org.prune4j.testkit.Invariants;

/** The criterion keeps the invariants a score-and-mask method must keep, on generated layers and targets. */
class OutputNormWandaTest {
    final OutputNormWanda pruner = new OutputNormWanda();

    @Test
    void prunesExactlyTheTargetPerMatrixAndKeepsTheSurvivorsUnchanged() {
        qt().withExamples(50).forAll(Gens.linearCasesWithZeros(), Gens.sparsities()).checkAssert((layer, target) -> {
            Invariants.sparsityExact(pruner, layer, target, false);
            Invariants.subNetwork(pruner, layer, target);
            Invariants.zerosStayZero(pruner, layer, target);
            Invariants.deterministic(pruner, layer, target);
        });
    }

    @Test
    void isTheIdentityAtZeroAndBlindToTheOrderOfRowsAndInputs() {
        qt().withExamples(50).forAll(Gens.linearCases(), Gens.sparsities(), Gens.seeds()).checkAssert((layer, target, seed) -> {
            Invariants.zeroIsIdentity(pruner, layer);
            Invariants.rowPermutationInvariant(pruner, layer, target, seed);
            Invariants.columnPermutationInvariant(pruner, layer, target, seed);
        });
    }
}
