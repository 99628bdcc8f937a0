package org.prune4j.tensor;

/**
 * Validated shapes of a batched matmul a [..., M, K] @ b [..., K, N]: every backend checks inputs through
 * here so errors read the same everywhere. {@code batch} is the product of the broadcast leading dims.
 */
public record MatmulShape(int m, int k, int n, int[] batchShape, long batch, int[] outShape, int[] aExpanded, int[] bExpanded) {

    public static MatmulShape of(Tensor a, Tensor b) {
        int[] as = a.shape(), bs = b.shape();
        if (as.length < 2 || bs.length < 2)
            throw new ShapeException("matmul needs operands of rank >= 2, got " + Shapes.str(as) + " and " + Shapes.str(bs));
        int m = as[as.length - 2], k = as[as.length - 1], kb = bs[bs.length - 2], n = bs[bs.length - 1];
        if (k != kb)
            throw new ShapeException("matmul: inner dims differ: " + Shapes.str(as) + " @ " + Shapes.str(bs) + " (" + k + " vs " + kb + ")");
        int[] batchA = java.util.Arrays.copyOf(as, as.length - 2), batchB = java.util.Arrays.copyOf(bs, bs.length - 2);
        int[] batchShape;
        try {
            batchShape = Shapes.broadcast(batchA, batchB);
        } catch (ShapeException e) {
            throw new ShapeException("matmul: batch dims of " + Shapes.str(as) + " and " + Shapes.str(bs) + " cannot be broadcast");
        }
        int r = batchShape.length;
        int[] out = java.util.Arrays.copyOf(batchShape, r + 2);
        out[r] = m;
        out[r + 1] = n;
        int[] ae = java.util.Arrays.copyOf(batchShape, r + 2);
        ae[r] = m;
        ae[r + 1] = k;
        int[] be = java.util.Arrays.copyOf(batchShape, r + 2);
        be[r] = k;
        be[r + 1] = n;
        return new MatmulShape(m, k, n, batchShape, Shapes.numel(batchShape), out, ae, be);
    }

    /** Storage offset of matrix {@code bi} (row-major over the batch dims) of an operand expanded to rank batch+2. */
    public long batchOffset(Tensor expanded, long bi) {
        long o = expanded.offset();
        long[] st = expanded.strides();
        for (int i = batchShape.length - 1; i >= 0; i--) {
            int sz = batchShape[i];
            o += (bi % sz) * st[i];
            bi /= sz;
        }
        return o;
    }
}
