package org.prune4j.pruning;

/**
 * A pruning job that cannot run as asked: a bad sparsity, a shape the granularity cannot split, calibration
 * data that is too short or not finite. The message names the weight or file and the problem; the command
 * line prints it as one line and writes no output folder.
 */
public class PruningException extends RuntimeException {
    public PruningException(String message) {
        super(message);
    }

    public PruningException(String message, Throwable cause) {
        super(message, cause);
    }
}
