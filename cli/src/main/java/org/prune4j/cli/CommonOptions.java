package org.prune4j.cli;

import java.io.PrintStream;
import java.util.Map;
import org.prune4j.io.json.Json;
import picocli.CommandLine.Option;

/**
 * Options every command takes (mix in with {@code @Mixin CommonOptions common;}). With --json the last line of
 * stdout is one JSON object holding the command's results; progress and logs always go to stderr.
 */
public final class CommonOptions {
    @Option(names = "--json", description = "Print the results as one JSON object on the last line of stdout.")
    public boolean json;

    @Option(names = "--debug", description = "Print the stack trace of a failure.")
    public boolean debug;

    /** Where results go: human text unless --json. */
    public PrintStream out() {
        return System.out;
    }

    /** Progress and logs: stderr, always. */
    public PrintStream log() {
        return System.err;
    }

    /** Prints {@code text} for people, or the JSON object {@code result} as the final stdout line with --json. */
    public void emit(String text, Map<String, ?> result) {
        if (json) {
            System.out.println(Json.write(result));
        } else if (text != null) {
            System.out.print(text.endsWith("\n") ? text : text + "\n");
        }
        System.out.flush();
    }
}
