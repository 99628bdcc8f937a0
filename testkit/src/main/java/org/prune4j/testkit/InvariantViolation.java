package org.prune4j.testkit;

/** An invariant that did not hold: which one, what broke and where (QuickTheories adds the smallest case it shrank to). */
public final class InvariantViolation extends AssertionError {
    /** The invariant's name. */
    private final String invariant;

    /**
     * An invariant that did not hold.
     *
     * @param invariant the invariant's name
     * @param detail what broke and where
     */
    public InvariantViolation(String invariant, String detail) {
        super("invariant '" + invariant + "' broken: " + detail);
        this.invariant = invariant;
    }

    /**
     * The invariant's name, e.g. "nm-pattern".
     *
     * @return the invariant's name
     */
    public String invariant() { return invariant; }
}
