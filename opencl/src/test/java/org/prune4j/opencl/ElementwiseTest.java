package org.prune4j.opencl;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.ScalarKernels;
import org.prune4j.tensor.ShapeException;
import org.prune4j.tensor.Tensor;
import org.prune4j.tensor.UnaryOp;

/** Elementwise ops (unary, scalar, broadcast binary, SwiGLU, where, maskedFill) on the device against the oracle. */
@ExtendWith(OpenCLSession.class)
class ElementwiseTest {
    private static final ScalarKernels ORACLE = ScalarKernels.INSTANCE;
    private static final double U = Close.U;

    /** Inputs covering every op's domain: negatives (NaN for log/sqrt on both sides), zeros, large magnitudes. */
    static Tensor inputs(int seed, int... shape) {
        Tensor t = Tensor.randn(seed, 3, shape);
        float[] v = t.array();
        if (v.length > 3) {
            v[0] = 0f;
            v[1] = -0f;
            v[2] = 40f;
            v[3] = -40f;
        }
        return t;
    }

    /**
     * Error budget per unary op, in ulps of the result (OpenCL 1.2 full profile: exp/log/sqrt 3, divide 2.5, tanh 5,
     * erfc 16). Where the function is steep the float rounding of its argument is amplified: erfc(z) moves by 2 z^2
     * of itself per relative change of z (z = x / sqrt 2, so x^2 ulps), exp(v) by |v| of itself per relative change of v.
     * GELU_TANH's v = -2c(x + 0.044715 x^3) takes five float roundings (x*x, *x, *0.044715, +x, *2c); x and 0.044715 x^3
     * share a sign, so nothing cancels and |dv| <= 5u|v|, which exp turns into 5|v| ulps of the result.
     */
    static Close.Bound unaryBound(UnaryOp op, float[] x) {
        return switch (op) {
            case NEG, ABS, SQUARE, RELU -> (i, e) -> 0;
            case EXP, LOG, SQRT -> Close.ulps(3);
            case RSQRT -> Close.ulps(6);
            case RECIPROCAL -> Close.ulps(2.5);
            case SILU, SIGMOID -> Close.ulps(8);
            case TANH -> Close.ulps(5);
            case GELU -> Close.ulps(i -> x[i] * x[i] + 20);
            case GELU_TANH -> Close.ulps(i -> 5 * 2 * 0.7978845608 * Math.abs(x[i] + 0.044715 * x[i] * x[i] * x[i]) + 12);
        };
    }

    @Test
    void everyUnaryOpRunsOnTheDevice(OpenCLKernels k) {
        for (UnaryOp op : UnaryOp.values()) {
            assertTrue(ClCodes.unary(op) >= 0, op + " has no OpenCL kernel code (add it to ClCodes and kernels.cl)");
            qt().withExamples(5).forAll(integers().between(1, 700), integers().between(0, 1 << 20)).checkAssert((n, seed) -> {
                Tensor x = inputs(seed, n);
                Close.within(ORACLE.unary(op, x), Ran.on(k, "unary", () -> k.unary(op, x)), unaryBound(op, x.toFloatArray()), op + " of " + n);
            });
        }
    }

    /** Error budget per binary op: add/sub/mul/max/min are one correctly rounded IEEE operation (exact match); divide 2.5 ulp; pow 16. */
    static Close.Bound binaryBound(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, MAX, MIN -> (i, e) -> 0;
            case DIV -> Close.ulps(2.5);
            case POW -> Close.ulps(16);
        };
    }

    @Test
    void binaryOpsWithBroadcasting(OpenCLKernels k) {
        for (BinaryOp op : BinaryOp.values()) {
            assertTrue(ClCodes.binary(op) >= 0, op + " has no OpenCL kernel code");
            qt().withExamples(6).forAll(integers().between(1, 7), integers().between(1, 40), integers().between(1, 5), integers().between(0, 1 << 20))
                    .checkAssert((a0, a1, a2, seed) -> {
                        Tensor a = inputs(seed, a0, a1, a2);
                        // b broadcasts in a different way each time: [a1, 1], [a0, 1, a2] transposed view, a scalar
                        Tensor b = switch (seed % 3) {
                            case 0 -> inputs(seed + 1, a1, 1);
                            case 1 -> inputs(seed + 1, a0, a2, 1).transpose(1, 2);
                            default -> Tensor.scalar(1.5f);
                        };
                        Tensor bb = op == BinaryOp.POW ? ORACLE.unary(UnaryOp.ABS, b) : b;  // pow of a negative base is NaN either way; keep it finite
                        Close.within(ORACLE.binary(op, bb, a), Ran.on(k, "binary", () -> k.binary(op, bb, a)), binaryBound(op), op + " broadcast " + seed % 3);
                        Close.within(ORACLE.scalarOp(op, a, 0.75f), Ran.on(k, "scalarOp", () -> k.scalarOp(op, a, 0.75f)), binaryBound(op), op + " scalar");
                    });
        }
        assertThrows(ShapeException.class, () -> k.add(Tensor.zeros(2, 3), Tensor.zeros(4)));
    }

    @Test
    void swigluWhereMaskedFill(OpenCLKernels k) {
        qt().withExamples(15).forAll(integers().between(1, 6), integers().between(1, 300), integers().between(0, 1 << 20))
                .checkAssert((rows, cols, seed) -> {
                    Tensor g = inputs(seed, rows, cols), u = Tensor.randn(seed + 1, 1, rows, cols);
                    // silu (8 ulp, see unaryBound) times up (one more rounding)
                    Close.within(ORACLE.swiglu(g, u), Ran.on(k, "swiglu", () -> k.swiglu(g, u)), Close.ulps(9), "swiglu");
                    Tensor cond = ORACLE.binary(BinaryOp.MAX, Tensor.randn(seed + 2, 1, rows, 1), Tensor.zeros(1));   // [rows, 1]: 0 or positive
                    Tensor b = Tensor.randn(seed + 3, 1, cols);
                    Close.exact(ORACLE.where(cond, g, b), Ran.on(k, "where3", () -> k.where(cond, g, b)), "where");
                    Tensor mask = Tensor.uniform(seed + 4, 0, 2, 1, cols);
                    Close.exact(ORACLE.maskedFill(g, ORACLE.unary(UnaryOp.RELU, ORACLE.scalarOp(BinaryOp.SUB, mask, 1f)), Float.NEGATIVE_INFINITY),
                            Ran.on(k, "where3", () -> k.maskedFill(g, k.unary(UnaryOp.RELU, k.scalarOp(BinaryOp.SUB, mask, 1f)), Float.NEGATIVE_INFINITY)), "maskedFill");
                });
        assertThrows(ShapeException.class, () -> k.swiglu(Tensor.zeros(2, 3), Tensor.zeros(3, 2)));
        assertThrows(ShapeException.class, () -> k.maskedFill(Tensor.zeros(3), Tensor.zeros(2, 3), 0f));
    }

    @Test
    void cpuSideOpsLaunchNothing(OpenCLKernels k) {
        Tensor x = Tensor.randn(1, 1, 4, 6);
        long before = k.launches();
        Close.exact(ORACLE.argmax(x, 1).values(), k.argmax(x, 1).values(), "argmax");
        Close.exact(ORACLE.topk(x, 2, 1, true).values(), k.topk(x, 2, 1, true).values(), "topk");
        Close.exact(ORACLE.concat(0, x, x), k.concat(0, x, x), "concat");
        Close.exact(ORACLE.embedding(x, new int[] {3, 0}), k.embedding(x, new int[] {3, 0}), "embedding");
        assertTrue(k.launches() == before, "argmax/topk/concat/embedding are documented to run on the CPU");
    }
}
