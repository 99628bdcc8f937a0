package org.prune4j.transformer;

import java.io.IOException;

/** A checkpoint that does not fit its config: a missing tensor, a wrong shape or dtype. The message names the tensor. */
public final class CheckpointException extends IOException {
    public CheckpointException(String message) {
        super(message);
    }
}
