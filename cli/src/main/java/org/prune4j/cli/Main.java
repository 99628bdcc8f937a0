package org.prune4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code ./prune4j}. Exit codes: 0 success, 1 failure (one line on stderr naming the file
 * and the problem; the stack trace only with --debug), 2 usage error.
 */
@Command(name = "prune4j", mixinStandardHelpOptions = true, version = "prune4j 0.1.0",
        description = "Prune (weights or structures), distill, compress, evaluate, verify and export (GGUF or safetensors) Llama-family language models in pure Java.",
        subcommands = {
                CommandLine.HelpCommand.class,
                BenchCommand.class,
                TokenizeCommand.class,
                InfoCommand.class,
                EvalCommand.class,
                GenerateCommand.class,
                PruneCommand.class,
                ScoresCommand.class,
                VerifyCommand.class,
                DemoCommand.class,
                TrainCommand.class,
                DistillCommand.class,
                CompressCommand.class,
                DevicesCommand.class,
                ExportCommand.class,
                SweepCommand.class,
                RunCommand.class,
        })
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (tests call this instead of main). */
    public static int run(String... args) {
        return runIn(null, args);
    }

    /**
     * Runs the command line with {@code context} (a recipe file and stage; null: none) in front of its failure and
     * usage messages, so a recipe's stage that fails says where it was written.
     */
    public static int runIn(String context, String[] args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> Failures.report(ex, Failures.debugRequested(args), context));
        cl.setParameterExceptionHandler((ex, a) -> Failures.usage(ex, a, context));
        try {
            return cl.execute(args);
        } finally {
            DeviceOptions.closeOpened();
        }
    }
}
