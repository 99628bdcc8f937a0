package org.prune4j.cli;

import picocli.CommandLine;

/** A bad combination of options found after parsing; exits with code 2 like any usage error. */
public final class UsageException extends CommandLine.ParameterException {
    public UsageException(CommandLine cl, String message) {
        super(cl, message);
    }
}
