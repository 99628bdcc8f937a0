package org.prune4j.api;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Progress of a long job, reported to the caller instead of printed: the CLI renders it on stderr, an app as it likes. */
public interface ProgressListener {

    /**
     * {@code done} of {@code total} units ("tokens", "layers") of {@code stage} ("eval", "prune") are finished.
     *
     * @param stage what is running
     * @param done units finished
     * @param total units in all
     */
    default void progress(String stage, long done, long total) {}

    /**
     * One line of narrative ("layer 3/24 pruned in 1.2 s").
     *
     * @param line the line, without its newline
     */
    default void message(String line) {}

    /** Reports nothing. */
    ProgressListener NONE = new ProgressListener() {};

    /**
     * Lines written to the returned stream reach {@link #message} (for the engine's PrintStream logs).
     *
     * @return a stream that turns each line into a message
     */
    default PrintStream asPrintStream() {
        ProgressListener self = this;
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override public synchronized void write(int b) {
                if (b == '\n') {
                    self.message(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else line.write(b);
            }
        }, true, StandardCharsets.UTF_8);
    }
}
