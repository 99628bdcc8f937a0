package org.prune4j.tensor;

/** Elementwise unary operations; {@link #apply} is the scalar definition (the oracle). */
public enum UnaryOp {
    NEG, ABS, SQUARE, EXP, LOG, SQRT, RSQRT, SILU, SIGMOID, GELU, GELU_TANH, TANH, RELU, RECIPROCAL;

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

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
            // exact GELU: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
            case GELU -> (float) (0.5 * x * (1 + Erf.erf(x / Math.sqrt(2))));
            // the tanh approximation ("gelu_pytorch_tanh")
            case GELU_TANH -> (float) (0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
            case TANH -> (float) Math.tanh(x);
            case RELU -> Math.max(x, 0f);
            case RECIPROCAL -> 1f / x;
        };
    }
}
