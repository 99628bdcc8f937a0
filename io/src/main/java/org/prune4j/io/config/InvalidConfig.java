package org.prune4j.io.config;

/**
 * What {@link ModelConfig}'s compact constructor throws (a record's canonical constructor cannot declare the checked
 * {@link ConfigException}); {@link ModelConfig.Builder#build()} and {@link ConfigJson} turn it back into one.
 */
public final class InvalidConfig extends IllegalArgumentException {
    private final String key;

    InvalidConfig(String message, String key) {
        super(message);
        this.key = key;
    }

    /** The same message as the checked exception callers of build() and read() handle. */
    public ConfigException checked() {
        return new ConfigException(getMessage(), key);
    }
}
