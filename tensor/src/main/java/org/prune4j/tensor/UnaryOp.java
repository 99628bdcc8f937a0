package org.prune4j.tensor;

/** Elementwise unary operations; {@link #apply} is the scalar definition (the oracle). */
public enum UnaryOp {
    NEG, ABS, SQUARE, EXP, LOG, SQRT, RSQRT, SILU, SIGMOID, GELU, GELU_TANH, TANH, RELU, RECIPROCAL;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    private static final double SQRT_2 = Math.sqrt(2);

    /** The scalar definition every backend must agree with (computed in double, rounded once). */
    public float apply(float x) {
        return switch (this) {
            case NEG -> -x;
            case ABS -> Math.abs(x);
            case SQUARE -> x * x;
            case EXP -> (float) Math.exp(x);
            case LOG -> (float) Math.log(x);
            case SQRT -> (float) Math.sqrt(x);
            case RSQRT -> (float) (1.0 / Math.sqrt(x));
            case SILU -> (float) (x / (1.0 + Math.exp(-x)));
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-x)));
            // exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) = 0.5 x erfc(-x / sqrt 2); erfc keeps the
            // negative tail (where 1 + erf cancels to nothing) accurate
            case GELU -> (float) (0.5 * x * Erf.erfc(-x / SQRT_2));
            // the tanh approximation ("gelu_pytorch_tanh") 0.5 x (1 + tanh u), u = sqrt(2/pi) (x + 0.044715 x^3), written
            // as x / (1 + e^(-2u)) (equal, since 1 + tanh u = 2 sigmoid(2u)): 1 + tanh u cancels to 0 below x = -6 even in double
            case GELU_TANH -> (float) (x / (1 + Math.exp(-2 * SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
            case TANH -> (float) Math.tanh(x);
            case RELU -> Math.max(x, 0f);
            case RECIPROCAL -> 1f / x;
        };
    }
}
