package org.prune4j.tensor;

import jdk.incubator.vector.FloatVector;

/**
 * Lane reductions with a fixed order. {@code reduceLanes(ADD)} on floats may associate differently in the
 * interpreter, in C1 and in C2's intrinsic, so the same kernel on the same input returned different bits before and
 * after it was JIT-compiled; prune4j promises identical bytes for identical inputs, so every float sum of lanes
 * goes through here: lanes are stored and added pairwise in one fixed order, identical in every tier.
 */
public final class Lanes {
    private Lanes() {}

    /** Sum of the lanes of {@code v}: ((l0+l1)+(l2+l3)) + ... as a balanced tree over lane indices. */
    public static float sum(FloatVector v) {
        float[] a = v.toArray();
        for (int width = a.length; width > 1; width >>= 1) {
            int half = width >> 1;
            for (int i = 0; i < half; i++) a[i] = a[2 * i] + a[2 * i + 1];
        }
        return a[0];
    }
}
