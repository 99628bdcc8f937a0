package org.prune4j.tensor;

/** The total order sort and top-k use: NaN above +inf, -0 equal to +0 (so stability decides their order). */
public final class SortOrder {
    private SortOrder() {}

    public static int compare(float x, float y) {
        boolean nx = Float.isNaN(x), ny = Float.isNaN(y);
        if (nx || ny) return nx == ny ? 0 : (nx ? 1 : -1);
        return x < y ? -1 : (x > y ? 1 : 0);
    }
}
