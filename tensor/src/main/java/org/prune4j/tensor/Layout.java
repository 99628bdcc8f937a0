package org.prune4j.tensor;

/** Index arithmetic between a layout with one dim moved to the end and the original layout. */
public final class Layout {
    private Layout() {}

    /**
     * Row-major flat index, in the original layout, of the element at flat index {@code movedFlat} of the
     * moved layout (whose shape is {@code movedShape}: the original with dim {@code d} moved last).
     */
    public static int unmoveFlat(long movedFlat, int[] movedShape, int d) {
        int r = movedShape.length;
        int[] idx = new int[r];
        for (int i = r - 1; i >= 0; i--) {
            idx[i] = (int) (movedFlat % movedShape[i]);
            movedFlat /= movedShape[i];
        }
        // original order: dims 0..d-1 are moved 0..d-1, dim d is moved r-1, dims d+1.. are moved d..r-2
        long flat = 0;
        for (int i = 0; i < r; i++) {
            int mi = i < d ? i : (i == d ? r - 1 : i - 1);
            int size = movedShape[mi];
            flat = flat * size + idx[mi];
        }
        return (int) flat;
    }
}
