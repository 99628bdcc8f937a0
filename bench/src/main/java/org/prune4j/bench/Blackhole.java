package org.prune4j.bench;

import org.prune4j.tensor.Tensor;

/** Keeps results alive so the JIT cannot drop the work that made them (outside JMH, which has its own). */
final class Blackhole {
    private Blackhole() {}

    private static volatile long sink;

    static void consume(Tensor t) {
        sink += t.numel();
    }

    static void consume(double v) {
        sink += Double.doubleToRawLongBits(v);
    }
}
