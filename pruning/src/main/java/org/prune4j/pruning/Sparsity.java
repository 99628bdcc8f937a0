package org.prune4j.pruning;

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

    /** In every row, prune the {@code n} lowest-scoring of each {@code m} consecutive input columns (0 < n < m). */
    record NOfM(int n, int m) implements Sparsity {
        public NOfM {
            if (m < 2) throw new PruningException("N:M needs M >= 2, got " + n + ":" + m);
            if (n < 1 || n >= m) throw new PruningException("N:M needs 1 <= N < M, got " + n + ":" + m);
        }

        @Override public double ratio() { return (double) n / m; }

        @Override public String label() { return n + ":" + m; }

        /** Checks that M divides the input width {@code cols} of {@code what}. */
        public void requireDivides(int cols, String what) {
            if (cols % m != 0)
                throw new PruningException(what + ": N:M " + label() + " needs M = " + m + " to divide the input width " + cols);
        }
    }

    /** {@code "0.5"} as unstructured. */
    static Sparsity unstructured(double ratio) {
        return new Unstructured(ratio);
    }

    /** Parses {@code "2:4"}. */
    static NOfM parseNM(String text) {
        String[] p = text.trim().split(":");
        if (p.length != 2) throw new PruningException("N:M must look like 2:4, got '" + text + "'");
        try {
            return new NOfM(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        } catch (NumberFormatException e) {
            throw new PruningException("N:M must look like 2:4, got '" + text + "'");
        }
    }
}
