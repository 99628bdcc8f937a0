package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.prune4j.tensor.*;

@ExtendWith(OpenCLSession.class)
class SmokeTest {
    @Test
    void ops(OpenCLKernels k) {
        Tensor a = Tensor.randn(1, 1, 5, 7), b = Tensor.randn(2, 1, 7, 3);
        System.out.println(k.name() + " " + k.device().describe());
        check(ScalarKernels.INSTANCE.matmul(a, b), k.matmul(a, b), "matmul");
        check(ScalarKernels.INSTANCE.matmul(a, b.t().contiguous().t()), k.matmul(a, b.t().contiguous().t()), "matmulT");
        check(ScalarKernels.INSTANCE.softmax(a), k.softmax(a), "softmax");
        check(ScalarKernels.INSTANCE.rmsNorm(a, null, 1e-5f), k.rmsNorm(a, null, 1e-5f), "rms");
        check(ScalarKernels.INSTANCE.unary(UnaryOp.GELU, a), k.unary(UnaryOp.GELU, a), "gelu");
        check(ScalarKernels.INSTANCE.add(a, Tensor.randn(3, 1, 7)), k.add(a, Tensor.randn(3, 1, 7)), "add");
        check(ScalarKernels.INSTANCE.sum(a, 0, false), k.sum(a, 0, false), "sum");
        Tensor q = Tensor.randn(4, 1, 2, 3, 4, 8), kk = Tensor.randn(5, 1, 2, 5, 2, 8), v = Tensor.randn(6, 1, 2, 5, 2, 8);
        check(ScalarKernels.INSTANCE.attention(q, kk, v, 0.3f, true), k.attention(q, kk, v, 0.3f, true), "attn");
        Tensor w = Tensor.randn(7, 1, 9, 7);
        k.keepResident(w);
        check(ScalarKernels.INSTANCE.linear(a, w, null), k.linear(a, w, null), "linear");
        assertEquals("residentGemm", k.lastKernel());
        check(ScalarKernels.INSTANCE.linear(a.narrow(0, 0, 1), w, null), k.linear(a.narrow(0, 0, 1), w, null), "linear1");
        System.out.println(k.residency() + " launches " + k.launches());
    }

    static void check(Tensor e, Tensor a, String what) {
        assertArrayEquals(e.shape(), a.shape(), what);
        float[] x = e.toFloatArray(), y = a.toFloatArray();
        double max = 0;
        for (int i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
        System.out.println(what + " max err " + max);
        assertTrue(max < 1e-4, what + " " + max);
    }
}
