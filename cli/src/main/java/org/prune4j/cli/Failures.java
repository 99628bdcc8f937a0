package org.prune4j.cli;

import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/** Turns exceptions into the launcher's contract: one line on stderr and exit code 1 (usage errors: 2). */
final class Failures {
    private Failures() {}

    static boolean debugRequested(String[] args) {
        for (String a : args) if (a.equals("--debug")) return true;
        return false;
    }

    /** Prints "prune4j: <problem>" (the message names the file) and returns 1; with --debug the stack trace too. */
    static int report(Exception ex, boolean debug) {
        return report(ex, debug, null);
    }

    /** The same with {@code context} (e.g. "recipe.yaml: stage 3 (distill)") before the message; null: none. */
    static int report(Exception ex, boolean debug, String context) {
        if (debug) ex.printStackTrace();
        System.err.println("prune4j: " + (context == null ? "" : context + ": ") + message(ex));
        System.err.flush();
        return 1;
    }

    static String message(Throwable ex) {
        if (ex instanceof NoSuchFileException n) return n.getFile() + ": no such file";
        if (ex instanceof UsageException) return ex.getMessage();
        String m = ex.getMessage();
        if (m == null || m.isBlank()) m = ex.getClass().getSimpleName();
        return m.replace('\n', ' ');
    }

    /** Usage errors: message and a hint on stderr, exit code 2. */
    static int usage(CommandLine.ParameterException ex, String[] args) {
        return usage(ex, args, null);
    }

    /** The same with {@code context} before the message; null: none. */
    static int usage(CommandLine.ParameterException ex, String[] args, String context) {
        PrintWriter err = ex.getCommandLine().getErr();
        err.println("prune4j: " + (context == null ? "" : context + ": ") + ex.getMessage());
        err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return 2;
    }
}
