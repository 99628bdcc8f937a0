package org.prune4j.pruning;

import org.prune4j.tensor.NM;

/**
 * How much of a weight matrix to prune: an unstructured fraction ({@code --sparsity 0.5}) or an N:M pattern
 * ({@code --nm 2:4}: in every row, N of each M consecutive input columns are pruned).
 */
public sealed interface Sparsity {

    /** The fraction of weights this target removes. */
    double ratio();

    /** A short label for reports ("50%", "2:4"). */
    String label();

    /** Prune a fraction {@code ratio} in [0, 1) of the weights, placed wherever the criterion says. */
    record Unstructured(double ratio) implements Sparsity {
        public Unstructured {
            if (!(ratio >= 0 && ratio < 1))
                throw new PruningException("sparsity must lie in [0, 1), got " + ratio);
        }

        @Override public String label() {
            double pct = ratio * 100;
            return (pct == Math.rint(pct) ? String.valueOf((long) pct) : String.valueOf(pct)) + "%";
        }
    }

    /**
     * In every row, prune the N lowest-scoring of each M consecutive input columns ({@link NM}). When M does not divide
     * a weight's width, {@code denseTail} leaves the short last group unpruned (the achieved ratio is then lower);
     * without it such a weight is refused.
     */
    record Groups(NM nm, boolean denseTail) implements Sparsity {
        public Groups {
            if (nm == null) throw new PruningException("an N:M target needs its pattern");
        }

        public Groups(NM nm) { this(nm, false); }

        @Override public double ratio() { return nm.ratio(); }

        @Override public String label() { return nm.label() + (denseTail ? " (dense tail)" : ""); }

        /** Checks that the pattern fits the input width {@code cols} of {@code what} (always, with a dense tail). */
        public void requireFits(int cols, String what) {
            if (denseTail) return;
            try {
                nm.requireDivides(cols, what);
            } catch (IllegalArgumentException e) {
                throw new PruningException(e.getMessage());
            }
        }
    }

    /** {@code "0.5"} as unstructured. */
    static Sparsity unstructured(double ratio) {
        return new Unstructured(ratio);
    }

    /** Parses {@code "2:4"} (see {@link NM#parse}); a bad pattern is a PruningException. */
    static Groups parseNM(String text, boolean denseTail) {
        try {
            return new Groups(NM.parse(text), denseTail);
        } catch (IllegalArgumentException e) {
            throw new PruningException(e.getMessage());
        }
    }

    /** Parses {@code "2:4"}, refusing widths M does not divide. */
    static Groups parseNM(String text) {
        return parseNM(text, false);
    }
}
