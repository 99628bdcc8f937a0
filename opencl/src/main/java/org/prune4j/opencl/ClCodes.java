package org.prune4j.opencl;

import org.prune4j.tensor.BinaryOp;
import org.prune4j.tensor.ReduceOp;
import org.prune4j.tensor.UnaryOp;

/**
 * Op codes shared with kernels.cl ({@code U_*}, {@code B_*}, {@code R_*}). An op without a device code (-1, e.g. an
 * enum constant added after these kernels) runs on the CPU backend instead; OpenCLKernelsTest lists the ops that must
 * have one, so such an addition shows up as a failing test rather than a wrong result.
 */
final class ClCodes {
    private ClCodes() {}

    static int unary(UnaryOp op) {
        return switch (op) {
            case NEG -> 0;
            case ABS -> 1;
            case SQUARE -> 2;
            case EXP -> 3;
            case LOG -> 4;
            case SQRT -> 5;
            case RSQRT -> 6;
            case SILU -> 7;
            case SIGMOID -> 8;
            case GELU -> 9;
            case GELU_TANH -> 10;
            case TANH -> 11;
            case RELU -> 12;
            case RECIPROCAL -> 13;
            default -> -1;
        };
    }

    static int binary(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case MAX -> 4;
            case MIN -> 5;
            case POW -> 6;
            default -> -1;
        };
    }

    static int reduce(ReduceOp op) {
        return switch (op) {
            case SUM -> 0;
            case MEAN -> 1;
            case MAX -> 2;
            case MIN -> 3;
            default -> -1;
        };
    }
}
