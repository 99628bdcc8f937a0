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
import java.util.Map;
import java.util.concurrent.Callable;
import org.prune4j.cli.recipe.Recipe;
import org.prune4j.io.AtomicFiles;
import org.prune4j.io.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code prune4j run recipe.yaml --out DIR}: runs a recipe's stages in order, each as its own command with its own
 * options, the model flowing from stage to stage. Each stage's output (a model folder, a GGUF file) appears
 * atomically, then its record {@code DIR/NN-kind.json} (options and --json result); a rerun skips every stage whose
 * record matches, so a killed run resumes at the stage it was in.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run a recipe file (YAML or JSON): stages prune, eval, export; resumable at stage boundaries.")
public final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RECIPE", description = "The recipe file (see recipes/).")
    Path recipeFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for every stage's output and record.")
    Path out;

    @Mixin CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Recipe recipe = Recipe.read(recipeFile);
        Files.createDirectories(out);
        Path model = recipe.model();
        List<Object> results = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Recipe.Stage s : recipe.stages()) {
            Path record = out.resolve(s.id() + ".json");
            List<String> args = new ArrayList<>();
            args.add(s.kind());
            args.addAll(s.args());
            args.add("--model");
            args.add(model.toAbsolutePath().normalize().toString());
            Path output = switch (s.kind()) {
                case "prune" -> out.resolve(s.id());
                case "export" -> out.resolve(s.id() + ".gguf");
                default -> null;
            };
            if (output != null) { args.add("--out"); args.add(output.toAbsolutePath().normalize().toString()); }
            args.add("--json");

            Map<String, Object> result;
            boolean kept = false;
            if (Files.exists(record)) {
                @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) Json.parse(Files.readString(record));
                if (!args.equals(r.get("args")))
                    throw new IOException(record + ": stage " + s.id() + " was run with other options or input (" + Json.write(r.get("args"))
                            + "); remove it and the stages after it, or choose another --out");
                @SuppressWarnings("unchecked") Map<String, Object> res = (Map<String, Object>) r.get("result");
                result = res;
                kept = true;
            } else {
                // a model folder without a record: a run killed between the two (a GGUF file is simply replaced)
                if (s.kind().equals("prune") && Files.exists(output)) args.add(args.size() - 1, "--force");
                common.log().println("run: stage " + s.id() + ": prune4j " + String.join(" ", args));
                result = runStage(s, args);
                if (args.contains("--force")) args.remove("--force");
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("stage", s.id());
                r.put("args", args);
                r.put("result", result);
                AtomicFiles.writeString(record, Json.writePretty(r, 2) + "\n");
            }
            common.log().println("run: stage " + s.id() + (kept ? " kept from an earlier run" : " done"));
            text.append(s.id()).append(kept ? " (kept): " : ": ").append(summary(s.kind(), result)).append('\n');
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("stage", s.id());
            entry.put("kept", kept);
            entry.put("result", result);
            results.add(entry);
            if (s.kind().equals("prune")) model = output;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("recipe", recipeFile.toString());
        json.put("out", out.toString());
        json.put("stages", results);
        common.emit(text.toString(), json);
        return 0;
    }

    /** Runs one stage in this JVM and returns its --json object; a failing stage fails the run with its message. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> runStage(Recipe.Stage s, List<String> args) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        synchronized (RunCommand.class) {
            try {
                System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
                code = Main.run(args.toArray(String[]::new));
            } finally {
                System.setOut(old);
            }
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        if (code != 0) throw new IOException(recipeFile + ": stage " + s.id() + " failed (exit " + code + "; its message is above)");
        return (Map<String, Object>) Json.parse(lines[lines.length - 1]);
    }

    private static String summary(String kind, Map<String, Object> r) {
        return switch (kind) {
            case "prune" -> String.format(java.util.Locale.ROOT, "%s %s, sparsity %.2f%% -> %s", r.get("method"), r.get("target"), 100 * ((Number) r.get("sparsity")).doubleValue(), r.get("out"));
            case "eval" -> String.format(java.util.Locale.ROOT, "ppl %.3f over %s tokens", ((Number) r.get("ppl")).doubleValue(), r.get("tokens"));
            default -> String.valueOf(r.get("out"));
        };
    }
}
