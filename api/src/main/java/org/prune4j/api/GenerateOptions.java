package org.prune4j.api;

/**
 * {@code generate}'s flags with its defaults, so an application samples exactly as the command does.
 *
 * @param prompt the text to continue ({@code --prompt}; null or "": BOS alone)
 * @param steps tokens to generate ({@code --steps})
 * @param temperature {@code --temperature} (1.0; 0 is greedy)
 * @param topP nucleus mass in (0, 1] ({@code --top-p}, 0.9)
 * @param seed the sampler's seed ({@code --seed}, 42)
 * @param stopAtEos stop after an end-of-sequence token ({@code --stop-at-eos})
 */
public record GenerateOptions(String prompt, int steps, float temperature, float topP, long seed, boolean stopAtEos) {
    /** Checks the flags' rules with the command's messages. */
    public GenerateOptions {
        if (prompt == null) prompt = "";
        if (steps < 0) throw new Prune4jException.InvalidOptions("--steps must be >= 0, got " + steps);
        if (!(temperature >= 0)) throw new Prune4jException.InvalidOptions("--temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new Prune4jException.InvalidOptions("--top-p must be in (0, 1], got " + topP);
    }

    /**
     * {@code steps} tokens after {@code prompt} with the CLI's defaults.
     *
     * @param prompt the text to continue
     * @param steps tokens to generate
     * @return the options
     */
    public static GenerateOptions of(String prompt, int steps) {
        return new GenerateOptions(prompt, steps, 1.0f, 0.9f, 42, false);
    }
}
