package org.prune4j.tensor;

/** Validated shapes of concat: same rank, equal dims except {@code dim}. */
public record ConcatShape(int dim, int[] outShape) {

    public static ConcatShape of(int dim, Tensor... ts) {
        if (ts.length == 0) throw new ShapeException("concat needs at least one tensor");
        int[] first = ts[0].shape();
        int d = Shapes.dim(dim, first);
        int[] out = first.clone();
        out[d] = 0;
        for (Tensor t : ts) {
            int[] s = t.shape();
            boolean ok = s.length == first.length;
            for (int i = 0; ok && i < s.length; i++) ok = i == d || s[i] == first[i];
            if (!ok) throw new ShapeException("concat along dim " + dim + ": shape " + Shapes.str(s) + " does not match " + Shapes.str(first));
            out[d] += s[d];
        }
        return new ConcatShape(d, out);
    }
}
