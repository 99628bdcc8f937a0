package org.prune4j.testkit;

/** An invariant that did not hold: which one, what broke and where (QuickTheories adds the smallest case it shrank to). */
public final class InvariantViolation extends AssertionError {
    private final String invariant;

    public InvariantViolation(String invariant, String detail) {
        super("invariant '" + invariant + "' broken: " + detail);
        this.invariant = invariant;
    }

    /** The invariant's name, e.g. "nm-pattern". */
    public String invariant() { return invariant; }
}
