package org.prune4j.api.compress;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import org.prune4j.api.Prune4jException;
import org.prune4j.pruning.structured.StructuredException;
import org.prune4j.pruning.structured.search.Candidates;

/**
 * What {@code compress} runs: a budget, the texts, the search space and the recipe. The fields and defaults are the
 * command's flags ({@code ./prune4j compress --help}); {@link #builder} fills the defaults.
 *
 * @param model {@code --model}: the dense (teacher) model folder
 * @param params {@code --params}: the parameter budget, a fraction of the model ({@code 0.6}) or a count ({@code 150M}, {@code 2.5K})
 * @param calib {@code --calib}: calibration text or token file for the minitron scores
 * @param calibSamples {@code --calib-samples}: calibration windows of {@code seqLen} tokens, the first ones (default 32)
 * @param data {@code --data}: distillation text or token file
 * @param eval {@code --eval}: evaluation text or token file, for the perplexity before and after each distillation
 * @param evalWindows {@code --eval-windows}: first W windows of {@code eval} (default 64)
 * @param docSeparator {@code --doc-separator}: split text inputs into documents at this string (each encoded with BOS), or null
 * @param seqLen {@code --seq-len}: window length in tokens (default 128)
 * @param batch {@code --batch}: windows per micro-batch (default 8)
 * @param out {@code --out}: the output model folder, which appears only when complete
 * @param force {@code --force}: replace an existing output folder
 * @param work {@code --work}: the work folder (per-candidate rows, checkpoints, the dense scores); null: OUT.work
 * @param report {@code --report}: also write the report files here; null: only inside OUT/compress
 * @param axes {@code --axes}: the axes that may shrink, width, depth or both (default both)
 * @param candidates {@code --candidates}: candidates kept for the search, the largest that fit (default 8)
 * @param maxWidth {@code --max-width-prune}: largest fraction removed from a width axis (default 0.4)
 * @param maxDepth {@code --max-depth-prune}: largest fraction of layers removed (default 0.2)
 * @param tolerance {@code --tolerance}: candidates within this fraction of the budget fit (default 0.03)
 * @param round {@code --round}: grid step of hidden and intermediate sizes; 0: the coarsest of 64, 32, 16, 8 giving 3 sizes (default 0)
 * @param searchSteps {@code --search-steps}: distillation steps per candidate in the search (default 100)
 * @param finalSteps {@code --final-steps}: distillation steps of the best candidate (default 1000)
 * @param lr {@code --lr}: peak learning rate, cosine to 0 (default 1e-4)
 * @param seed {@code --seed}: seed of scoring, the random baselines and every distillation (default 42)
 * @param checkpointEvery {@code --checkpoint-every}: steps between checkpoints inside a candidate and the final run; 0: a tenth of each run (default 0)
 * @param baselines {@code --baseline}: the baselines trained after the final run, with the final run's steps; null: none
 */
public record CompressOptions(Path model, String params, Path calib, int calibSamples, Path data, Path eval, int evalWindows, String docSeparator,
                              int seqLen, int batch, Path out, boolean force, Path work, Path report, Candidates.Axes axes, int candidates,
                              double maxWidth, double maxDepth, double tolerance, int round, int searchSteps, int finalSteps, double lr, long seed,
                              int checkpointEvery, Set<Baseline> baselines) {

    /** A baseline at the same budget, to show what the importance scores and the search are worth. */
    public enum Baseline {
        /** The best candidate's shape with units removed by seeded random scores (the paper's random pruning). */
        RANDOM_UNITS("random-units"),
        /** A seeded random candidate among all that fit the budget, pruned by the minitron scores (no search). */
        RANDOM_CANDIDATE("random-candidate");

        /** The flag's spelling, also the work files' stem ({@code baseline-random-units.json}). */
        public final String flag;

        Baseline(String flag) { this.flag = flag; }

        /**
         * Parses {@code --baseline}'s value, so the command and an application spell the baselines the same way.
         *
         * @param s "none", or a comma list of random-units, random-candidate; null or blank: none
         * @return the baselines named, empty for none
         * @throws Prune4jException.InvalidOptions a name is not a baseline
         */
        public static Set<Baseline> parse(String s) {
            Set<Baseline> out = EnumSet.noneOf(Baseline.class);
            if (s == null || s.isBlank() || s.strip().equals("none")) return out;
            for (String p : s.split(",")) {
                String t = p.strip().toLowerCase(Locale.ROOT);
                Baseline b = null;
                for (Baseline x : values()) if (x.flag.equals(t)) b = x;
                if (b == null) throw new Prune4jException.InvalidOptions("--baseline takes none or a comma list of random-units, random-candidate; got '" + p.strip() + "'");
                out.add(b);
            }
            return out;
        }
    }

    /**
     * Checks the rules that need no file (required inputs, counts at least 1, a positive rate, the axes) and copies
     * {@code baselines}, so a bad option fails before anything is read or written.
     *
     * @throws Prune4jException.InvalidOptions an option breaks its rule
     */
    public CompressOptions {
        if (model == null || params == null || calib == null || data == null || eval == null || out == null)
            throw new Prune4jException.InvalidOptions("compress needs --model, --params, --calib, --data, --eval and --out");
        if (candidates < 1 || searchSteps < 1 || finalSteps < 1 || seqLen < 2 || batch < 1 || calibSamples < 1 || evalWindows < 1)
            throw new Prune4jException.InvalidOptions("--candidates, --search-steps, --final-steps, --batch, --calib-samples and --eval-windows must be >= 1, --seq-len >= 2");
        if (!(lr > 0)) throw new Prune4jException.InvalidOptions("--lr must be positive, got " + lr);
        if (checkpointEvery < 0) throw new Prune4jException.InvalidOptions("--checkpoint-every must be >= 0 (0: a tenth of each run), got " + checkpointEvery);
        if (axes == null) throw new Prune4jException.InvalidOptions("--axes needs width, depth or both");
        baselines = baselines == null ? Set.of() : Set.copyOf(baselines);
    }

    /**
     * The search space these options describe (limits, tolerance, grid), for {@link Compress#enumerate}.
     *
     * @return the space
     * @throws Prune4jException.InvalidOptions a limit, the tolerance or the grid step is out of range
     */
    public Candidates.Space space() {
        try {
            return new Candidates.Space(axes, maxWidth, maxDepth, tolerance, round);
        } catch (StructuredException e) {
            throw new Prune4jException.InvalidOptions(e.getMessage());
        }
    }

    /**
     * The work folder a run keeps its resumable state in: {@link #work} or OUT.work beside the output.
     *
     * @return the work folder
     */
    public Path workDir() { return work != null ? work : out.resolveSibling(out.getFileName() + ".work"); }

    /** Steps between checkpoints for a run of {@code steps}. */
    int checkpointEvery(int steps) { return checkpointEvery > 0 ? checkpointEvery : Math.max(1, (steps + 9) / 10); }

    /**
     * Compressing {@code model} to {@code params} into {@code out}, the rest at the command's defaults.
     *
     * @param model the dense (teacher) model folder
     * @param params the parameter budget, a fraction ({@code 0.6}) or a count ({@code 150M})
     * @param calib the calibration text or token file
     * @param data the distillation text or token file
     * @param eval the evaluation text or token file
     * @param out the output model folder
     * @return a builder
     */
    public static Builder builder(Path model, String params, Path calib, Path data, Path eval, Path out) {
        return new Builder(model, params, calib, data, eval, out);
    }

    /** The command's defaults, changed one flag at a time; each setter is the flag of the same name. */
    public static final class Builder {
        private final Path model, calib, data, eval, out;
        private final String params;
        private int calibSamples = 32, evalWindows = 64, seqLen = 128, batch = 8, candidates = 8, round = 0, searchSteps = 100, finalSteps = 1000, checkpointEvery = 0;
        private String docSeparator;
        private boolean force;
        private Path work, report;
        private Candidates.Axes axes = new Candidates.Axes(true, true);
        private double maxWidth = 0.4, maxDepth = 0.2, tolerance = 0.03, lr = 1e-4;
        private long seed = 42;
        private Set<Baseline> baselines = Set.of();

        private Builder(Path model, String params, Path calib, Path data, Path eval, Path out) {
            this.model = model;
            this.params = params;
            this.calib = calib;
            this.data = data;
            this.eval = eval;
            this.out = out;
        }

        /**
         * Sets {@code --calib-samples}.
         * @param v the value
         * @return this builder
         */
        public Builder calibSamples(int v) { calibSamples = v; return this; }
        /**
         * Sets {@code --eval-windows}.
         * @param v the value
         * @return this builder
         */
        public Builder evalWindows(int v) { evalWindows = v; return this; }
        /**
         * Sets {@code --doc-separator}.
         * @param v the value
         * @return this builder
         */
        public Builder docSeparator(String v) { docSeparator = v; return this; }
        /**
         * Sets {@code --seq-len}.
         * @param v the value
         * @return this builder
         */
        public Builder seqLen(int v) { seqLen = v; return this; }
        /**
         * Sets {@code --batch}.
         * @param v the value
         * @return this builder
         */
        public Builder batch(int v) { batch = v; return this; }
        /**
         * Sets {@code --force}.
         * @param v the value
         * @return this builder
         */
        public Builder force(boolean v) { force = v; return this; }
        /**
         * Sets {@code --work}.
         * @param v the value
         * @return this builder
         */
        public Builder work(Path v) { work = v; return this; }
        /**
         * Sets {@code --report}.
         * @param v the value
         * @return this builder
         */
        public Builder report(Path v) { report = v; return this; }
        /**
         * Sets {@code --axes}.
         * @param v the value
         * @return this builder
         */
        public Builder axes(Candidates.Axes v) { axes = v; return this; }
        /**
         * Sets {@code --candidates}.
         * @param v the value
         * @return this builder
         */
        public Builder candidates(int v) { candidates = v; return this; }
        /**
         * Sets {@code --max-width-prune}.
         * @param v the value
         * @return this builder
         */
        public Builder maxWidth(double v) { maxWidth = v; return this; }
        /**
         * Sets {@code --max-depth-prune}.
         * @param v the value
         * @return this builder
         */
        public Builder maxDepth(double v) { maxDepth = v; return this; }
        /**
         * Sets {@code --tolerance}.
         * @param v the value
         * @return this builder
         */
        public Builder tolerance(double v) { tolerance = v; return this; }
        /**
         * Sets {@code --round}.
         * @param v the value
         * @return this builder
         */
        public Builder round(int v) { round = v; return this; }
        /**
         * Sets {@code --search-steps}.
         * @param v the value
         * @return this builder
         */
        public Builder searchSteps(int v) { searchSteps = v; return this; }
        /**
         * Sets {@code --final-steps}.
         * @param v the value
         * @return this builder
         */
        public Builder finalSteps(int v) { finalSteps = v; return this; }
        /**
         * Sets {@code --lr}.
         * @param v the value
         * @return this builder
         */
        public Builder lr(double v) { lr = v; return this; }
        /**
         * Sets {@code --seed}.
         * @param v the value
         * @return this builder
         */
        public Builder seed(long v) { seed = v; return this; }
        /**
         * Sets {@code --checkpoint-every}.
         * @param v the value
         * @return this builder
         */
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        /**
         * Sets {@code --baseline}.
         * @param v the value
         * @return this builder
         */
        public Builder baselines(Set<Baseline> v) { baselines = v; return this; }

        /**
         * Builds the options (the constructor checks the rules that need no file, {@link Compress#run} the rest).
         * @return the options
         * @throws Prune4jException.InvalidOptions an option breaks its rule
         */
        public CompressOptions build() {
            return new CompressOptions(model, params, calib, calibSamples, data, eval, evalWindows, docSeparator, seqLen, batch, out, force, work, report, axes,
                    candidates, maxWidth, maxDepth, tolerance, round, searchSteps, finalSteps, lr, seed, checkpointEvery, baselines);
        }
    }
}
