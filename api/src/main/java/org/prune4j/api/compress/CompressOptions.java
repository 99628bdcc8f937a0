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
 * @param work             the work folder (per-candidate rows, checkpoints, the dense scores); null: OUT.work
 * @param report           also write the report files here; null: only inside OUT/compress
 * @param checkpointEvery  steps between checkpoints inside a candidate and the final run (0: a tenth of the run)
 * @param baselines        the baselines trained after the final run, with the final run's steps
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

        /** "none", or a comma list of random-units, random-candidate. */
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

    /** The search space these options describe (limits, tolerance, grid); bad limits are {@link Prune4jException.InvalidOptions}. */
    public Candidates.Space space() {
        try {
            return new Candidates.Space(axes, maxWidth, maxDepth, tolerance, round);
        } catch (StructuredException e) {
            throw new Prune4jException.InvalidOptions(e.getMessage());
        }
    }

    /** The work folder: {@link #work} or OUT.work beside the output. */
    public Path workDir() { return work != null ? work : out.resolveSibling(out.getFileName() + ".work"); }

    /** Steps between checkpoints for a run of {@code steps}. */
    int checkpointEvery(int steps) { return checkpointEvery > 0 ? checkpointEvery : Math.max(1, (steps + 9) / 10); }

    /** Options with the command's defaults for everything but the required inputs. */
    public static Builder builder(Path model, String params, Path calib, Path data, Path eval, Path out) {
        return new Builder(model, params, calib, data, eval, out);
    }

    /** Fills {@link CompressOptions} with the command's defaults. */
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

        public Builder calibSamples(int v) { calibSamples = v; return this; }
        public Builder evalWindows(int v) { evalWindows = v; return this; }
        public Builder docSeparator(String v) { docSeparator = v; return this; }
        public Builder seqLen(int v) { seqLen = v; return this; }
        public Builder batch(int v) { batch = v; return this; }
        public Builder force(boolean v) { force = v; return this; }
        public Builder work(Path v) { work = v; return this; }
        public Builder report(Path v) { report = v; return this; }
        public Builder axes(Candidates.Axes v) { axes = v; return this; }
        public Builder candidates(int v) { candidates = v; return this; }
        public Builder maxWidth(double v) { maxWidth = v; return this; }
        public Builder maxDepth(double v) { maxDepth = v; return this; }
        public Builder tolerance(double v) { tolerance = v; return this; }
        public Builder round(int v) { round = v; return this; }
        public Builder searchSteps(int v) { searchSteps = v; return this; }
        public Builder finalSteps(int v) { finalSteps = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder baselines(Set<Baseline> v) { baselines = v; return this; }

        public CompressOptions build() {
            return new CompressOptions(model, params, calib, calibSamples, data, eval, evalWindows, docSeparator, seqLen, batch, out, force, work, report, axes,
                    candidates, maxWidth, maxDepth, tolerance, round, searchSteps, finalSteps, lr, seed, checkpointEvery, baselines);
        }
    }
}
