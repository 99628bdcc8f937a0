package org.prune4j.api;

/**
 * {@code generate}'s flags with its defaults: {@code --prompt} (""), {@code --steps}, {@code --temperature} (1.0;
 * 0 is greedy), {@code --top-p} (0.9), {@code --seed} (42), {@code --stop-at-eos} (false).
 */
public record GenerateOptions(String prompt, int steps, float temperature, float topP, long seed, boolean stopAtEos) {
    public GenerateOptions {
        if (prompt == null) prompt = "";
        if (steps < 0) throw new Prune4jException.InvalidOptions("--steps must be >= 0, got " + steps);
        if (!(temperature >= 0)) throw new Prune4jException.InvalidOptions("--temperature must be >= 0, got " + temperature);
        if (!(topP > 0 && topP <= 1)) throw new Prune4jException.InvalidOptions("--top-p must be in (0, 1], got " + topP);
    }

    /** {@code steps} tokens after {@code prompt} with the CLI's defaults. */
    public static GenerateOptions of(String prompt, int steps) {
        return new GenerateOptions(prompt, steps, 1.0f, 0.9f, 42, false);
    }
}
