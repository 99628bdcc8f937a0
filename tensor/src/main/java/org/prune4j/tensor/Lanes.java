package org.prune4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane reductions with a fixed order. {@code reduceLanes(ADD)} on floats may associate differently in the
 * interpreter, in C1 and in C2's intrinsic, so the same kernel on the same input returned different bits before and
 * after it was JIT-compiled; prune4j promises identical bytes for identical inputs, so every float sum of lanes goes
 * through here. The sum is a butterfly of lane-wise adds (lane i plus lane i^d for d = L/2, ..., 1): each step is an
 * exactly specified vector add and permute, so every tier computes the same tree, about as fast as reduceLanes.
 */
public final class Lanes {
    private Lanes() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** SWAP[k] pairs lane i with lane i ^ (L >> (k + 1)). */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SWAP = new VectorShuffle[Integer.numberOfTrailingZeros(F.length())];

    static {
        for (int k = 0; k < SWAP.length; k++) {
            int d = F.length() >> (k + 1);
            SWAP[k] = VectorShuffle.fromOp(F, i -> i ^ d);
        }
    }

    /** Sum of the lanes of {@code v} (of the preferred species), in the butterfly order described above. */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> s : SWAP) v = v.add(v.rearrange(s));
        return v.lane(0);
    }
}
