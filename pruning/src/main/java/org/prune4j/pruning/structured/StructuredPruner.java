package org.prune4j.pruning.structured;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.prune4j.io.config.ModelConfig;
import org.prune4j.pruning.TensorSource;
import org.prune4j.tensor.Kernels;
import org.prune4j.transformer.LlamaModel;

/**
 * Structured pruning, score → plan → write, beside the sequential unstructured driver: the dense model is scored
 * once on the calibration windows (the papers do not calibrate sequentially here), the scores and targets become a
 * {@link Plan}, and the plan is applied to the memory-mapped checkpoint by {@link StructuredWriter}. A saved plan
 * ({@code --plan}) skips scoring. Every rule is checked before any scoring or writing, so bad input costs nothing
 * and leaves no output.
 */
public final class StructuredPruner {
    private StructuredPruner() {}

    /**
     * One job. {@code method} may be null when no target needs scores (mean-pooling only) or a plan is given;
     * {@code windows} is asked for only when the criterion reads data; {@code out} may be null with {@code planOut}
     * (score once, apply later); {@code hfPad} pads per-layer shapes with zero units to a plain config ({@link HfPadding}).
     */
    public record Job(String method, Targets targets, Planner.Options options, Path planIn, Path planOut, Supplier<int[][]> windows,
                      int batch, Aggregation seq, Aggregation batchAgg, long seed, Map<String, String> criterionOptions,
                      Path out, boolean replace, Map<String, String> metadata, boolean hfPad) {
        /** A job without {@code --hf-pad}. */
        public Job(String method, Targets targets, Planner.Options options, Path planIn, Path planOut, Supplier<int[][]> windows,
                   int batch, Aggregation seq, Aggregation batchAgg, long seed, Map<String, String> criterionOptions,
                   Path out, boolean replace, Map<String, String> metadata) {
            this(method, targets, options, planIn, planOut, windows, batch, seq, batchAgg, seed, criterionOptions, out, replace, metadata, false);
        }
    }

    /** The criterion option that chooses layer-by-layer scoring: auto (default), on, off ({@code --stream-layers}). */
    public static final String STREAM = "stream";

    /** What a run did; {@code streamed}: scored one decoder layer at a time from the checkpoint. */
    public record Result(Plan plan, StructuredWriter.Output output, double scoreSeconds, double writeSeconds, long calibrationTokens, boolean streamed) {}

    /** Loads the dense model for scoring (from the mapped checkpoint, or one already in memory). */
    @FunctionalInterface
    public interface ModelLoader {
        LlamaModel load() throws IOException;
    }

    /**
     * Runs {@code job} on the model folder {@code model} (config {@code cfg}, tensors {@code src}); {@code loader}
     * is called only when a criterion must score.
     */
    public static Result run(Path model, ModelConfig cfg, TensorSource src, ModelLoader loader, Job job, PrintStream log) throws IOException {
        return run(model, cfg, src, loader, null, job, log);
    }

    /**
     * {@link #run}, and with {@code kernels} (null: never) a criterion that {@link StructuredCriterion#streams streams}
     * scores one decoder layer at a time from {@code src} ({@link LayerStream}) instead of loading the model, when
     * the criterion option {@code stream} is {@code on}, or {@code auto} (the default) and the F32 model would take
     * more than half of the heap's limit.
     */
    public static Result run(Path model, ModelConfig cfg, TensorSource src, ModelLoader loader, Kernels kernels, Job job, PrintStream log)
            throws IOException {
        Plan plan;
        double scoreSeconds = 0;
        long calibTokens = 0;
        boolean streamed = false;
        if (job.planIn() != null) {
            if (!job.targets().isEmpty()) throw new StructuredException("--plan applies a saved plan; it cannot be combined with --target");
            plan = PlanJson.read(job.planIn());
            StructuredWriter.requireSource(plan, cfg, src, job.planIn().toString());
            log.println("structured: applying " + job.planIn() + " (" + plan.criterion() + ", " + describe(plan.targets()) + ")");
        } else {
            if (job.targets().isEmpty()) throw new StructuredException("give --target KEY=VALUE (keys: " + String.join(", ", Targets.KEYS) + ") or --plan FILE");
            Set<UnitKind> kinds = job.targets().kinds(job.options().kvReduce() == Planner.KvReduce.PRUNE, job.options().contiguous());
            String fp = Fingerprint.of(src);
            // every structural rule, checked on placeholder scores before the real (expensive) ones
            Map<UnitKind, UnitScores> dry = new EnumMap<>(UnitKind.class);
            for (UnitKind kind : kinds) dry.put(kind, placeholder(cfg, kind, job.targets()));
            Planner.plan(cfg, fp, job.targets(), dry, job.method() == null ? "none" : job.method(), job.options());
            Map<UnitKind, UnitScores> scores = new EnumMap<>(UnitKind.class);
            String criterionName = "mean-pool";
            if (!kinds.isEmpty()) {
                if (job.method() == null) throw new StructuredException("--target " + job.targets().describe() + " needs scores: give --method " + StructuredCriteria.names());
                StructuredCriterion c = StructuredCriteria.get(job.method());
                criterionName = c.name();
                for (UnitKind kind : kinds)
                    if (!c.kinds().contains(kind))
                        throw new StructuredException("--method " + c.name() + " does not score " + kind + " units (it scores " + c.kinds() + "), which --target "
                                + job.targets().describe() + " needs");
                int[][] windows = c.needsCalibration() ? job.windows().get() : null;
                if (windows != null) calibTokens = (long) windows.length * windows[0].length;
                long t0 = System.nanoTime();
                Map<String, String> opts = new LinkedHashMap<>(job.criterionOptions());
                if (job.targets().has(Targets.HEADS)) opts.putIfAbsent("keep-heads", String.valueOf(job.targets().get(Targets.HEADS))); // michel --iterative
                if (job.options().contiguous()) opts.put("block", String.valueOf(cfg.numLayers() - job.targets().get(Targets.LAYERS)));
                String stream = opts.getOrDefault(STREAM, "auto");
                long f32 = LayerStream.f32Bytes(cfg), heap = Runtime.getRuntime().maxMemory();
                streamed = switch (stream) {
                    case "on" -> {
                        if (!c.streams(kinds, opts) || kernels == null)
                            throw new StructuredException("--stream-layers on: --method " + c.name() + (kernels == null ? "" : " with these options") + " cannot score "
                                    + kinds + " one layer at a time" + (c.name().equals("minitron") ? " (--depth-metric loss needs the whole model)" : " (only minitron can)"));
                        yield true;
                    }
                    case "off" -> false;
                    case "auto" -> kernels != null && c.streams(kinds, opts) && f32 > heap / 2;
                    default -> throw new StructuredException("--stream-layers must be auto, on or off, got '" + stream + "'");
                };
                LlamaModel m = null;
                LayerStream ls = null;
                if (streamed) {
                    log.printf(java.util.Locale.ROOT, "structured: scoring %s with %s one decoder layer at a time from %s (the F32 model is %.2f GB, the heap limit %.2f GB)%n",
                            kinds, c.name(), model, f32 / 1e9, heap / 1e9);
                    ls = new LayerStream(cfg, src, kernels);
                } else {
                    log.println("structured: loading " + model + " to score " + kinds + " with " + c.name());
                    m = loader.load();
                }
                opts.remove(STREAM);
                try {
                    scores.putAll(c.score(new ScoringInput(m, windows, job.batch(), job.seq(), job.batchAgg(), job.seed(), opts, log, ls), kinds));
                } catch (IllegalArgumentException e) {
                    throw new StructuredException(c.name() + ": " + e.getMessage());
                }
                scoreSeconds = (System.nanoTime() - t0) / 1e9;
            } else if (job.method() != null) {
                criterionName = job.method();
            }
            plan = Planner.plan(cfg, fp, job.targets(), scores, criterionName, job.options());
        }
        if (job.planOut() != null) {
            PlanJson.write(plan, job.planOut());
            log.println("structured: wrote the plan to " + job.planOut());
        }
        StructuredWriter.Output output = null;
        double writeSeconds = 0;
        if (job.out() != null) {
            long t0 = System.nanoTime();
            Map<String, String> md = new LinkedHashMap<>(job.metadata() == null ? Map.of() : job.metadata());
            md.put("method", plan.criterion()); // from the plan, so a plan applied again writes the same header
            md.put("target", describe(plan.targets()));
            if (job.hfPad() && plan.perLayerShapes()) md.put("hf_pad", "zero units up to the widest layer");
            output = StructuredWriter.write(model, cfg, src, plan, job.out(), job.replace(), job.hfPad(), md, log);
            writeSeconds = (System.nanoTime() - t0) / 1e9;
        }
        return new Result(plan, output, scoreSeconds, writeSeconds, calibTokens, streamed);
    }

    /** Scores of the right shape whose values say nothing (all equal), for checking the rules before scoring. */
    private static UnitScores placeholder(ModelConfig cfg, UnitKind kind, Targets t) {
        if (kind == UnitKind.BLOCK) {
            int n = cfg.numLayers(), drop = n - t.get(Targets.LAYERS);
            return new UnitScores(kind, "placeholder", new double[][] {new double[n - drop + 1]});
        }
        return new UnitScores(kind, "placeholder", UnitCounts.zeros(cfg, kind));
    }

    private static String describe(Map<String, Integer> targets) {
        StringBuilder sb = new StringBuilder();
        targets.forEach((key, v) -> sb.append(sb.isEmpty() ? "" : " ").append(key).append('=').append(v));
        return sb.toString();
    }
}
