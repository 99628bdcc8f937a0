package org.prune4j.tensor;

/** Elementwise binary operations with broadcasting. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW;

    /** The scalar definition every backend must agree with. */
    public float apply(float a, float b) {
        return switch (this) {
            case ADD -> a + b;
            case SUB -> a - b;
            case MUL -> a * b;
            case DIV -> a / b;
            case MAX -> Math.max(a, b);
            case MIN -> Math.min(a, b);
            case POW -> (float) Math.pow(a, b);
        };
    }
}
