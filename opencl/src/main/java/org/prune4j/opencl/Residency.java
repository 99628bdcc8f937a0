package org.prune4j.opencl;

/**
 * What an {@link OpenCLKernels} session keeps on its device: {@code weights} resident weights of {@code weightBytes}
 * (as F32), packed into {@code arenas} device buffers of {@code arenaBytes}; {@code pending} weights seen once and
 * waiting to be uploaded together; {@code declined} weights that did not fit the memory budget.
 */
public record Residency(int weights, long weightBytes, int arenas, long arenaBytes, int pending, int declined) {}
