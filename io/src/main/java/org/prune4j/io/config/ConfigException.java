package org.prune4j.io.config;

import java.io.IOException;

/**
 * A {@code config.json} prune4j cannot use: unknown architecture, a missing or mistyped key, or inconsistent values.
 * The message names the file, the key and what is supported, so the command line can print it as one line.
 */
public class ConfigException extends IOException {
    private final String key;

    public ConfigException(String message, String key) {
        super(message);
        this.key = key;
    }

    /** The offending key, or null when the problem is the file as a whole. */
    public String key() {
        return key;
    }
}
