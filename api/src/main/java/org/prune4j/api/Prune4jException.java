package org.prune4j.api;

/**
 * What the library API throws: a message that names the file (or option) and the rule it broke. Subtypes say which
 * kind of problem it is, so an application can tell its user "fix your flags" from "this checkpoint is broken".
 */
public class Prune4jException extends RuntimeException {
    /**
     * An error with its message and what caused it.
     *
     * @param message names the file or option and the rule
     * @param cause the underlying exception, or null
     */
    public Prune4jException(String message, Throwable cause) {
        super(message, cause);
    }

    /** An option value no run can use (a sparsity outside [0, 1), a missing calibration file for Wanda, ...). */
    public static final class InvalidOptions extends Prune4jException {
        /**
         * The error.
         *
         * @param message names the option and the rule
         */
        public InvalidOptions(String message) {
            super(message, null);
        }
    }

    /** A model folder, checkpoint, config, tokenizer or data file that cannot be read or breaks a format rule. */
    public static final class BadInput extends Prune4jException {
        /**
         * The error.
         *
         * @param message names the file and the rule
         * @param cause the underlying exception, or null
         */
        public BadInput(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Pruning itself failed (a rule of the method, e.g. N:M's M not dividing a width). */
    public static final class PruningFailed extends Prune4jException {
        /**
         * The error.
         *
         * @param message names the file and the rule
         * @param cause the underlying exception, or null
         */
        public PruningFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Training itself failed (the loss became NaN or infinite); the message says where the last good checkpoint is. */
    public static final class TrainingFailed extends Prune4jException {
        /**
         * The error.
         *
         * @param message names the file and the rule
         * @param cause the underlying exception, or null
         */
        public TrainingFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static Prune4jException wrap(Exception e) {
        if (e instanceof Prune4jException p) return p;
        if (e instanceof java.nio.file.NoSuchFileException n) return new BadInput(n.getFile() + ": no such file", e);
        if (e instanceof org.prune4j.pruning.PruningException || e instanceof org.prune4j.pruning.structured.StructuredException)
            return new PruningFailed(e.getMessage(), e);
        return new BadInput(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
}
