package org.prune4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.cli.recipe.Recipe;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code prune4j run recipe.yaml --out DIR}: runs a recipe's stages in order, each as its own command with its own
 * options, the model flowing from stage to stage. Each stage's output (a model folder, a GGUF file) appears
 * atomically, then its record {@code DIR/NN-kind.json} (options and --json result); a rerun skips every stage whose
 * record matches, so a killed run resumes at the stage it was in; a distill stage keeps its checkpoint in
 * {@code DIR/NN-distill.ckpt} and resumes from it mid-training. Files a stage's own options write (plan-out,
 * lora-save, teacher-cache, report), given as relative paths, go to {@code DIR/NN-kind.files/}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a recipe file (YAML or JSON): stages prune (unstructured or structured), distill, eval, export.",
                "Resumable: finished stages are kept, a distill stage continues from its last checkpoint."})
public final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RECIPE", description = "The recipe file (see recipes/).")
    Path recipeFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for every stage's output and record.")
    Path out;

    @Mixin CommonOptions common;

    /**
     * A stage made concrete: its command line (without the runner's --force/--resume), where its output goes, and the
     * output paths of its own options the runner placed inside {@code DIR} ({@code owned}: their folders are created,
     * and finding one without the stage's record means a killed run).
     */
    record Planned(Recipe.Stage stage, String where, List<String> args, Path output, Path checkpoint, Path log, List<Path> owned) {}

    @Override
    public Integer call() throws Exception {
        Recipe recipe = Recipe.read(recipeFile);
        List<Planned> plan = plan(recipe);
        Files.createDirectories(out);
        List<Object> results = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Planned p : plan) {
            Recipe.Stage s = p.stage();
            Path record = out.resolve(s.id() + ".json");
            Map<String, Object> result;
            boolean kept = false;
            if (Files.exists(record)) {
                @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) Json.parse(Files.readString(record));
                if (!p.args().equals(r.get("args")))
                    throw new IOException(record + ": stage " + s.id() + " was run with other options or input (" + Json.write(r.get("args"))
                            + "); remove it and the stages after it, or choose another --out");
                @SuppressWarnings("unchecked") Map<String, Object> res = (Map<String, Object>) r.get("result");
                result = res;
                kept = true;
            } else {
                List<String> args = new ArrayList<>(p.args());
                // an output without a record: a run killed between the two (a GGUF file is simply replaced; an
                // exported folder, which export never replaces, is the runner's own and is removed first)
                boolean leftover = p.output() != null && Files.exists(p.output());
                for (Path o : p.owned()) leftover |= Files.exists(o);
                if (leftover && !s.kind().equals("export")) args.add(args.size() - 1, "--force");
                if (s.kind().equals("export") && p.output() != null && Files.isDirectory(p.output())) AtomicFiles.deleteTree(p.output());
                for (Path o : p.owned()) Files.createDirectories(o.getParent());
                if (p.checkpoint() != null) resumeFrom(p, args);
                common.log().println("run: stage " + s.id() + ": prune4j " + String.join(" ", args));
                result = runStage(p, args);
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("stage", s.id());
                r.put("args", p.args());
                r.put("result", result);
                AtomicFiles.writeString(record, Json.writePretty(r, 2) + "\n");
            }
            common.log().println("run: stage " + s.id() + (kept ? " kept from an earlier run (its record " + record.getFileName() + " matches; skipped)" : " done"));
            text.append(s.id()).append(kept ? " (kept): " : ": ").append(summary(s.kind(), result)).append('\n');
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("stage", s.id());
            entry.put("kept", kept);
            entry.put("result", result);
            results.add(entry);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("recipe", recipeFile.toString());
        json.put("out", out.toString());
        json.put("stages", results);
        common.emit(text.toString(), json);
        return 0;
    }

    /**
     * Every stage's command line, checked before anything runs: each key must be an option of the stage's command and
     * each value must parse as that option's type (picocli parses the whole line), so a typo in stage 4 fails at once
     * with the file, the stage and the key, not after stage 3.
     */
    private List<Planned> plan(Recipe recipe) throws IOException {
        CommandLine root = new CommandLine(new Main());
        List<Planned> plan = new ArrayList<>();
        Path model = recipe.model(), beforePrune = null;
        for (Recipe.Stage s : recipe.stages()) {
            String where = recipeFile + ": stage " + s.number() + " (" + s.kind() + ")";
            CommandSpec spec = root.getSubcommands().get(s.kind()).getCommandSpec();
            List<String> args = new ArrayList<>();
            args.add(s.kind());
            List<Path> owned = new ArrayList<>();
            for (Recipe.Option o : s.options()) args.addAll(optionArgs(where, spec, placed(where, s, o, owned)));
            Path output = null, checkpoint = null, log = null;
            String m = abs(model);
            switch (s.kind()) {
                case "prune" -> {
                    output = out.resolve(s.id());
                    args.addAll(List.of("--model", m, "--out", abs(output)));
                    beforePrune = model;
                    model = output;
                }
                case "eval" -> args.addAll(List.of("--model", m));
                case "export" -> {
                    String format = s.get("format") == null ? "gguf" : s.get("format").toLowerCase(Locale.ROOT);
                    if (!format.equals("gguf") && !format.equals("safetensors"))
                        throw new IOException(where + ": key 'format': '" + s.get("format") + "' is not gguf or safetensors");
                    // a GGUF file beside the stage records; a Hugging Face folder named like the other stages' models
                    output = out.resolve(format.equals("gguf") ? s.id() + ".gguf" : s.id());
                    args.addAll(List.of("--model", m, "--out", abs(output)));
                }
                case "distill" -> {
                    output = out.resolve(s.id());
                    checkpoint = out.resolve(s.id() + ".ckpt");
                    log = out.resolve(s.id() + ".log.jsonl");
                    args.addAll(List.of("--student", m));
                    if (s.get("teacher") == null) {
                        if (beforePrune != null) args.addAll(List.of("--teacher", abs(beforePrune)));
                        else if (!"ce".equals(s.get("loss")) || (s.get("hidden-loss") != null && !"none".equals(s.get("hidden-loss"))))
                            throw new IOException(where + ": key 'teacher' is missing and no prune stage comes before this one"
                                    + " (the teacher defaults to the model before the previous prune stage; --loss ce needs none)");
                    }
                    args.addAll(List.of("--out", abs(output), "--checkpoint-dir", abs(checkpoint), "--log", abs(log)));
                    model = output;
                }
                default -> throw new IllegalStateException(s.kind());
            }
            args.add("--json");
            try {
                new CommandLine(new Main()).parseArgs(args.toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                String key = e.getArgSpec() instanceof OptionSpec os ? os.longestName().replaceFirst("^--(no-)?", "") : null;
                throw new IOException(where + ": " + (key != null ? "key '" + key + "': " : "") + e.getMessage());
            }
            plan.add(new Planned(s, where, List.copyOf(args), output, checkpoint, log, List.copyOf(owned)));
        }
        return plan;
    }

    /**
     * Option {@code o} with its path placed: a relative output path of the stage's own ({@link Recipe#OUTPUT_OPTIONS})
     * inside {@code DIR/NN-kind.files/}, a path starting with {@code $OUT/} inside {@code DIR} (output paths placed
     * either way are added to {@code owned}); anything else as written.
     */
    private Recipe.Option placed(String where, Recipe.Stage s, Recipe.Option o, List<Path> owned) throws IOException {
        if (o.value() == null) return o;
        boolean output = Recipe.OUTPUT_OPTIONS.get(s.kind()).contains(o.key());
        if ((output || Recipe.PATH_OPTIONS.contains(o.key())) && o.value().startsWith(Recipe.OUT_PREFIX)) {
            Path p = out.resolve(o.value().substring(Recipe.OUT_PREFIX.length())).toAbsolutePath().normalize();
            if (output) owned.add(p);
            return new Recipe.Option(o.key(), p.toString(), false);
        }
        if (output && !Path.of(o.value()).isAbsolute()) {
            Path files = out.resolve(s.filesDir()).toAbsolutePath().normalize(), p = files.resolve(o.value()).normalize();
            if (!p.startsWith(files) || p.equals(files))
                throw new IOException(where + ": key '" + o.key() + "': '" + o.value() + "' leaves the stage's folder " + s.filesDir()
                        + " (a relative output path is placed inside it; give an absolute path to write elsewhere)");
            owned.add(p);
            return new Recipe.Option(o.key(), p.toString(), false);
        }
        return o;
    }

    /** One recipe option as command-line words; a key that is not an option of the command is an error naming it. */
    private static List<String> optionArgs(String where, CommandSpec spec, Recipe.Option o) throws IOException {
        OptionSpec os = spec.findOption("--" + o.key());
        if (os == null || o.key().startsWith("-"))
            throw new IOException(where + ": unknown key '" + o.key() + "' (prune4j " + spec.name() + " has no --" + o.key() + "; see prune4j " + spec.name() + " --help)");
        boolean isFlag = os.arity().max() == 0 || (os.negatable() && os.typeInfo().isBoolean());
        if (o.value() == null) {
            if (!isFlag) throw new IOException(where + ": key '" + o.key() + "' takes a value (" + os.paramLabel() + "), not true/false");
            if (o.flag()) return List.of("--" + o.key());
            return os.negatable() ? List.of("--no-" + o.key()) : List.of();
        }
        if (isFlag) throw new IOException(where + ": key '" + o.key() + "' is a switch: write true or false, not '" + o.value() + "'");
        return List.of("--" + o.key(), o.value());
    }

    /**
     * A distill stage with a checkpoint from a killed run continues from it ({@code --resume}); its log keeps the
     * steps up to the checkpoint, so the curve has each step once. Without one it starts afresh, with a fresh log.
     */
    private void resumeFrom(Planned p, List<String> args) throws IOException {
        Path state = p.checkpoint().resolve("state.json");
        if (!Files.isRegularFile(state)) {
            Files.deleteIfExists(p.log());
            return;
        }
        @SuppressWarnings("unchecked") Map<String, Object> st = (Map<String, Object>) Json.parse(Files.readString(state));
        long step = ((Number) st.get("step")).longValue();
        args.add(args.size() - 1, "--resume");
        args.add(args.size() - 1, abs(p.checkpoint()));
        if (Files.exists(p.log())) {
            StringBuilder keep = new StringBuilder();
            for (String line : Files.readAllLines(p.log())) {
                if (line.isBlank()) continue;
                Object o;
                try {
                    o = Json.parse(line);
                } catch (org.prune4j.io.json.JsonException e) {
                    continue; // a line cut short by the kill
                }
                if (o instanceof Map<?, ?> m && m.get("step") instanceof Number n && n.longValue() <= step) keep.append(line).append('\n');
            }
            AtomicFiles.writeString(p.log(), keep.toString());
        }
        common.log().println("run: stage " + p.stage().id() + " resumes from its checkpoint " + p.checkpoint().getFileName() + " at step " + step);
    }

    /** Runs one stage in this JVM and returns its --json object; a failing stage fails the run, its message prefixed with the file and stage. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> runStage(Planned p, List<String> args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        synchronized (RunCommand.class) {
            try {
                System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
                code = Main.runIn(p.where(), args.toArray(String[]::new));
            } finally {
                System.setOut(old);
            }
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        if (code != 0) throw new IOException(p.where() + " failed (exit " + code + "; its message is above)");
        return (Map<String, Object>) Json.parse(lines[lines.length - 1]);
    }

    private static double num(Object o) {
        return o instanceof Number n ? n.doubleValue() : Double.NaN; // JSON writes NaN as null
    }

    private static String abs(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static String summary(String kind, Map<String, Object> r) {
        return switch (kind) {
            case "prune" -> r.containsKey("sparsity")
                    ? String.format(Locale.ROOT, "%s %s, sparsity %.2f%% -> %s", r.get("method"), r.get("target"), 100 * ((Number) r.get("sparsity")).doubleValue(), r.get("out"))
                    : String.format(Locale.ROOT, "%s %s, parameters %,d -> %,d -> %s", r.get("method"), r.get("targets"), ((Number) r.get("params_before")).longValue(),
                            ((Number) r.get("params_after")).longValue(), r.get("out"));
            case "eval" -> String.format(Locale.ROOT, "ppl %.3f over %s tokens", ((Number) r.get("ppl")).doubleValue(), r.get("tokens"));
            case "distill" -> String.format(Locale.ROOT, "%s steps, loss %.4f -> %.4f%s -> %s", r.get("steps"), num(r.get("first_loss")), num(r.get("final_loss")), r.get("eval_ppl") instanceof Number n ? String.format(Locale.ROOT, ", eval ppl %.3f", n.doubleValue()) : "", r.get("out"));
            default -> String.valueOf(r.get("out"));
        };
    }
}
