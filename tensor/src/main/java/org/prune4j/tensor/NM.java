package org.prune4j.tensor;

/**
 * An N:M sparsity pattern, the one N:M type of prune4j (pruning's targets, masks and SparseGPT rule, the compressed
 * weight and its kernels all take it). In every row, {@code n} of each {@code m} consecutive inputs are zero and
 * {@code m - n} are kept (Wanda's convention, so {@code --nm 2:4} prunes 2 of every 4). Groups start at input 0;
 * when M does not divide the width, the short last group is either refused ({@link #requireDivides}) or left dense.
 */
public record NM(int n, int m) {
    /** The largest group: a group's choice fits one 64-bit word. */
    public static final int MAX_M = 64;

    public NM {
        if (m < 2 || m > MAX_M) throw new IllegalArgumentException("N:M needs 2 <= M <= " + MAX_M + ", got " + n + ":" + m);
        if (n < 1 || n >= m) throw new IllegalArgumentException("N:M needs 1 <= N < M, got " + n + ":" + m);
    }

    /** Parses {@code "2:4"}; a malformed text or pattern is an IllegalArgumentException naming it. */
    public static NM parse(String text) {
        String[] p = text.trim().split(":");
        if (p.length != 2) throw new IllegalArgumentException("N:M must look like 2:4, got '" + text + "'");
        try {
            return new NM(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("N:M must look like 2:4, got '" + text + "'");
        }
    }

    /** Weights kept per full group. */
    public int kept() { return m - n; }

    /** The fraction of weights pruned on a width M divides. */
    public double ratio() { return (double) n / m; }

    /** "2:4". */
    public String label() { return n + ":" + m; }

    /** Inputs of a row of {@code width} past the last full group (0 when M divides the width). */
    public int tail(int width) { return width % m; }

    /** The fraction pruned on {@code width} inputs when the short last group stays dense. */
    public double ratio(int width) {
        return width == 0 ? 0 : (double) (width / m) * n / width;
    }

    /**
     * Checks that M divides the input width {@code width} of {@code what}. The refusal names a pattern of the same
     * ratio that fits the width, when one exists (4:8 on 172 inputs: 2:4), and the dense-tail alternative.
     */
    public void requireDivides(int width, String what) {
        if (width % m == 0) return;
        StringBuilder msg = new StringBuilder(what + ": N:M " + label() + " needs M = " + m + " to divide the input width " + width);
        NM fit = sameRatioFitting(width);
        if (fit != null) msg.append("; ").append(fit.label()).append(" prunes the same fraction and fits (").append(width)
                .append(" = ").append(width / fit.m).append(" x ").append(fit.m).append(")");
        msg.append("; or leave the last ").append(width % m).append(" inputs of each row dense (prune --nm-tail dense)");
        throw new IllegalArgumentException(msg.toString());
    }

    /** The pattern with the largest M' <= M, M' dividing {@code width}, and N'/M' = N/M; null when none. */
    public NM sameRatioFitting(int width) {
        for (int mm = m - 1; mm >= 2; mm--) {
            if (width % mm != 0 || (n * mm) % m != 0) continue;
            int nn = n * mm / m;
            if (nn >= 1 && nn < mm) return new NM(nn, mm);
        }
        return null;
    }

    @Override public String toString() { return label(); }
}
