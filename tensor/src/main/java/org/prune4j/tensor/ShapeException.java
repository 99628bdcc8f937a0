package org.prune4j.tensor;

/** Thrown when shapes do not fit an operation; the message states every shape involved. */
public class ShapeException extends IllegalArgumentException {
    public ShapeException(String message) {
        super(message);
    }
}
